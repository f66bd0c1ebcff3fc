import type { TestDialect } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { ApigamesFake, type ApigamesFakeOptions } from '../fakes/apigames.js';
import { FAKE_BRANDS } from '../fakes/catalog.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { planFor, type FakeOptions, type FakeSupplier } from '../fakes/fake-supplier.js';
import { KiosgameFake } from '../fakes/kiosgame.js';
import { VcgamersFake } from '../fakes/vcgamers.js';

/**
 * A kios with all four real supplier kinds, each a fake on its own loopback port sending its
 * callbacks to kios's callback URL (as an operator registers it in the supplier's dashboard):
 *
 * | supplier    | kind      | fake            |
 * |-------------|-----------|-----------------|
 * | `tossgames` | kiosgame  | `KiosgameFake`  |
 * | `digi`      | digiflazz | `DigiflazzFake` |
 * | `vcg`       | vcgamers  | `VcgamersFake`  |
 * | `apig`      | apigames  | `ApigamesFake`  |
 *
 * Four demo products, each with a different supplier first and a second route on another
 * supplier, so every failover crosses connectors and every supplier is both a first and a second
 * route:
 *
 * | product    | route 1     | route 2     |
 * |------------|-------------|-------------|
 * | `S4_ML86`  | `tossgames` | `vcg`       |
 * | `S1_1187`  | `digi`      | `apig`      |
 * | `S4_ML172` | `vcg`       | `digi`      |
 * | `FF70`     | `apig`      | `tossgames` |
 *
 * VCGamers sells by `<brand_key>/<variation_key>` and checks the buyer's inputs against the
 * brand's form, so the Mobile Legends category carries the MLBB form (`user_id`, `additional_id`),
 * as a catalog sync from VCGamers would set it: ML orders then send `data` VCGamers accepts; the
 * other kinds still read the user id and server id.
 */

export const SUPPLIERS = { kiosgame: 'tossgames', digiflazz: 'digi', vcgamers: 'vcg', apigames: 'apig' } as const;
export type SupplierName = (typeof SUPPLIERS)[keyof typeof SUPPLIERS];

export interface FourRoute {
  supplier: SupplierName;
  sku: string;
  cost: number;
}

export interface FourProduct {
  code: string;
  /** Platinum price (demo catalog). */
  price: number;
  /** Whether orders need a server id (the category's form has two fields). */
  server: boolean;
  routes: [FourRoute, FourRoute];
}

export interface FourOptions {
  /** Options every fake gets (faults, pending time, price). */
  fakes?: FakeOptions;
  /** Per-fake seeds for their fault draws (defaults 1..4). */
  seeds?: Partial<Record<SupplierName, number>>;
  /** The APIGames connector's `webhook` setting. */
  apigamesWebhook?: 'check' | 'trust';
  /** Extra options for the APIGames fake. */
  apigames?: Omit<ApigamesFakeOptions, keyof FakeOptions>;
}

export class FourSuppliers {
  private constructor(
    readonly t: TestKios,
    readonly kg: KiosgameFake,
    readonly df: DigiflazzFake,
    readonly vg: VcgamersFake,
    readonly ag: ApigamesFake,
    readonly products: FourProduct[],
  ) {}

  /** The fakes by supplier name. */
  get fakes(): Record<SupplierName, FakeSupplier> {
    return { tossgames: this.kg, digi: this.df, vcg: this.vg, apig: this.ag };
  }

  static async start(dialect: TestDialect, env: Record<string, string> = {}, o: FourOptions = {}): Promise<FourSuppliers> {
    const fakes = { pendingMs: 300, ...o.fakes };
    const seed = (n: SupplierName, d: number) => o.seeds?.[n] ?? d;
    const kg = await KiosgameFake.start({ ...fakes, seed: seed('tossgames', 1) });
    const df = await DigiflazzFake.start({ ...fakes, seed: seed('digi', 2) });
    // Digiflazz sees one customer number, the user id followed by the server id.
    df.plan = (customerNo) => planFor(customerNo.replace(/2468$/, ''));
    const vg = await VcgamersFake.start({ ...fakes, seed: seed('vcg', 3) });
    const ag = await ApigamesFake.start({ ...fakes, ...o.apigames, seed: seed('apig', 4) });
    const t = await TestKios.start(dialect, env);
    kg.opts.callbackUrl = `${t.url}/suppliers/tossgames/callback`;
    df.opts.callbackUrl = `${t.url}/suppliers/digi/callback`;
    vg.opts.callbackUrl = `${t.url}/suppliers/vcg/callback`;
    ag.opts.callbackUrl = `${t.url}/suppliers/apig/callback`;
    await t.kios.suppliers.add('kiosgame', 'tossgames', kg.config());
    await t.kios.suppliers.add('digiflazz', 'digi', df.config());
    // VCGamers declares 200 calls a minute; the fake has no limit, and a soak needs more.
    await t.kios.suppliers.add('vcgamers', 'vcg', vg.config({ rate_limit: { requests: 1_000_000, per_seconds: 1 } }));
    await t.kios.suppliers.add('apigames', 'apig', ag.config({ webhook: o.apigamesWebhook ?? 'check' }));

    // The ML category takes VCGamers's MLBB form, as a catalog sync would set it.
    const mlbb = FAKE_BRANDS.find((b) => b.key === 'MLBB')!;
    const k = t.kios.db.kysely;
    await k.updateTable('categories').set({ form: JSON.stringify(mlbb.form), is_server: 1 }).where('code', '=', 'ML').execute();

    // Two MLBB variations the VCGamers fake sells (the catalog is generated: look them up).
    const [mlbbA, mlbbB] = vg.catalog.products.filter((p) => p.brandKey === 'MLBB' && p.active);
    if (!mlbbA || !mlbbB) throw new Error('the VCGamers fake sells no two MLBB variations');
    const products: FourProduct[] = [
      { code: 'S4_ML86', price: 18_624, server: true, routes: [{ supplier: 'tossgames', sku: 'S4_ML86', cost: 18_000 }, { supplier: 'vcg', sku: `MLBB/${mlbbA.key}`, cost: 18_100 }] },
      { code: 'S1_1187', price: 1_511, server: true, routes: [{ supplier: 'digi', sku: 'ML5', cost: 1_450 }, { supplier: 'apig', sku: 'ML5', cost: 1_460 }] },
      { code: 'S4_ML172', price: 37_248, server: true, routes: [{ supplier: 'vcg', sku: `MLBB/${mlbbB.key}`, cost: 36_000 }, { supplier: 'digi', sku: 'ML172', cost: 36_100 }] },
      { code: 'FF70', price: 9_405, server: false, routes: [{ supplier: 'apig', sku: 'FF70', cost: 9_000 }, { supplier: 'tossgames', sku: 'FF70', cost: 9_100 }] },
    ];
    for (const p of products) {
      await t.kios.routes.remove(p.code, 'simulator');
      for (const r of p.routes) await t.kios.routes.add(p.code, r.supplier, r.sku, { cost: r.cost });
    }
    return new FourSuppliers(t, kg, df, vg, ag, products);
  }

  /** Back to defaults: outcomes by destination (Digiflazz's without the server id it is sent with), no faults. */
  reset(): void {
    for (const f of Object.values(this.fakes)) {
      f.opts.pendingMs = 300;
      f.plan = planFor;
      f.faultFor = null;
      f.faults = {};
      f.down = false;
    }
    this.df.plan = (customerNo) => planFor(customerNo.replace(/2468$/, ''));
  }

  attempts(orderId: string) {
    return supplierAttemptsOf(this.t.kios.db.kysely, orderId);
  }

  async close(): Promise<void> {
    await this.t.close();
    for (const f of [this.kg, this.df, this.vg, this.ag]) await f.close();
  }
}
