import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorFactory, SupplierConnector } from '../../src/connectors/types.js';
import { postOperatorMovement } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import type { BatchInput, RedeemEngine, SubmitAnswer } from '../../src/redeem/engine.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { bulk, merchant, projectDone, vouchers } from '../helpers/redeem.js';
import { eventually } from '../helpers/wait.js';

/**
 * The fee of a success that arrives after the balance was spent elsewhere (an order, an
 * adjustment) between the dispatch check and the engine's answer: the voucher is success (the
 * code is redeemed, whatever kios's balance says), its fee owed; the ledger still verifies and no
 * balance goes negative; nothing more is sent for that reseller until the owed fee is collected
 * from a top-up. A test engine (a supplier kind of its own) holds its answer until released.
 */

class GateEngine implements RedeemEngine {
  readonly kind = 'gate';
  readonly maxBatch = 10;
  readonly concurrency = 4;
  readonly findsByRef = false;
  readonly submitted: string[] = [];
  #release: (() => void) | null = null;
  #held: Promise<void> = new Promise((r) => (this.#release = r));
  arrived = 0;

  release(): void {
    this.#release?.();
  }

  async submit(batch: BatchInput): Promise<SubmitAnswer> {
    this.arrived += 1;
    this.submitted.push(...batch.codes);
    if (this.arrived === 1) await this.#held;
    return { kind: 'accepted', engineRef: batch.ref, outcomes: new Map(batch.codes.map((c) => [c, { kind: 'success', nominalGs: 50 }])) };
  }

  async results(): Promise<never> {
    throw new Error('not used: every submission is answered at once');
  }
}

let engine = new GateEngine();
const gateFactory: ConnectorFactory<Record<string, never>> = {
  kind: 'gate',
  title: 'Test redeem engine',
  configSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  secretKeys: [],
  callbacks: false,
  create: (): SupplierConnector => ({
    kind: 'gate',
    rateLimit: null,
    purchase: async () => ({ kind: 'failed', reason: 'not a shop' }),
    status: async () => ({ kind: 'not_found' }),
    redeemEngine: () => engine,
  }),
};

describe.each(DIALECTS)('owed redeem fees (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    engine = new GateEngine();
    t = await TestKios.start(dialect, {}, { extraConnectors: [gateFactory as unknown as ConnectorFactory<never>] });
    await t.kios.suppliers.add('gate', 'gate', {});
    await t.kios.redeem.setEngine('gate');
    await t.kios.redeem.setFee('gold', 100);
  });
  afterAll(async () => t?.close());

  it('a success whose fee the balance no longer covers is owed, then collected from the top-up before anything more is sent', async () => {
    const m = await merchant(t, { balance: 200, role: 'gold' });
    const first = await bulk(t, m, ['OWED0001', 'OWED0002']);
    await eventually(() => expect(engine.arrived).toBe(1));
    // The balance is spent while the engine holds the batch.
    await t.kios.db.transaction((trx) => postOperatorMovement(trx, { resellerId: m.id, kind: 'adjustment', amount: -150, note: 'spent elsewhere', at: Date.now() }));
    engine.release();
    await projectDone(t, first.json.data.project_id);
    const rows = [...(await vouchers(t, first.json.data.project_id)).values()];
    expect(rows.map((v) => [v.status, v.nominal_gs])).toEqual([[1, 50], [1, 50]]);
    expect(rows.filter((v) => v.fee_entry === null).length).toBe(2); // 50 left: neither fee could be taken
    expect(await t.balance(m.id)).toBe(50);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);

    const second = await bulk(t, m, ['OWED0003']);
    await eventually(async () => {
      const v = (await vouchers(t, second.json.data.project_id)).get('OWED0003')!;
      expect(v.status).toBe(0);
      expect(v.note).toMatch(/^Menunggu saldo/);
    });
    expect(engine.submitted).toEqual(['OWED0001', 'OWED0002']);
    await t.kios.resellers.deposit(m.id, 500);
    await projectDone(t, second.json.data.project_id);
    const all = [...(await vouchers(t, first.json.data.project_id)).values(), ...(await vouchers(t, second.json.data.project_id)).values()];
    expect(all.every((v) => v.status === 1 && v.fee_entry !== null)).toBe(true);
    expect(await t.balance(m.id)).toBe(50 + 500 - 3 * 100);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });
});
