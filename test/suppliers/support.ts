import { expect } from 'vitest';
import type { TestDialect } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { ledgerOf, supplierAttemptsOf } from '../helpers/pipeline.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { KiosgameFake } from '../fakes/kiosgame.js';
import type { FakeOptions } from '../fakes/fake-supplier.js';

/**
 * A kios with two real suppliers in front of the demo product S4_ML86 (platinum price 18,624):
 * route 1 `tossgames` (a fake Kiosgame-style platform), route 2 `digi` (a fake Digiflazz). The
 * fakes send their callbacks to kios's callback URLs, as an operator registers them at the
 * supplier.
 */
export const PRODUCT = { code: 'S4_ML86', price: 18_624, kgSku: 'S4_ML86', dfSku: 'ML86' } as const;

export class TwoSuppliers {
  private constructor(
    readonly t: TestKios,
    readonly kg: KiosgameFake,
    readonly df: DigiflazzFake,
  ) {}

  static async start(dialect: TestDialect, env: Record<string, string> = {}, fakes: FakeOptions = {}): Promise<TwoSuppliers> {
    const kg = await KiosgameFake.start({ pendingMs: 300, ...fakes });
    const df = await DigiflazzFake.start({ pendingMs: 300, ...fakes });
    const t = await TestKios.start(dialect, env);
    kg.opts.callbackUrl = `${t.url}/suppliers/tossgames/callback`;
    df.opts.callbackUrl = `${t.url}/suppliers/digi/callback`;
    await t.kios.suppliers.add('kiosgame', 'tossgames', kg.config());
    await t.kios.suppliers.add('digiflazz', 'digi', df.config());
    await t.kios.routes.remove(PRODUCT.code, 'simulator');
    await t.kios.routes.add(PRODUCT.code, 'tossgames', PRODUCT.kgSku, { cost: 18_000 });
    await t.kios.routes.add(PRODUCT.code, 'digi', PRODUCT.dfSku, { cost: 18_100 });
    return new TwoSuppliers(t, kg, df);
  }

  /** Back to defaults between tests: outcomes by destination, no faults. */
  reset(): void {
    for (const f of [this.kg, this.df]) {
      f.opts.pendingMs = 300;
      f.plan = () => 'success';
      f.faultFor = null;
      f.faults = {};
      f.down = false;
    }
  }

  async order(r: Reseller, userId: string, extra: Record<string, unknown> = {}) {
    const res = await this.t.order(r.apiKey, { product_code: PRODUCT.code, user_id: userId, server_id: '2468', ...extra });
    expect(res.status, res.text).toBe(201);
    const o = await this.t.orderRow(res.json.data.invoice_number);
    return { invoice: res.json.data.invoice_number as string, id: o.id };
  }

  attempts(orderId: string) {
    return supplierAttemptsOf(this.t.kios.db.kysely, orderId);
  }

  async legs(orderId: string) {
    return (await ledgerOf(this.t.kios.db.kysely, orderId)).map((e) => [e.kind, e.amount]);
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.kg.close();
    await this.df.close();
  }
}
