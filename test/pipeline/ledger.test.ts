import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { debitOrders, post, refundOrder } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';

/**
 * The ledger primitives on a real database, and the verifier every money test relies on: it must
 * actually notice a broken ledger, or `expectLedgerConsistent()` would prove nothing.
 */
describe.each(DIALECTS)('ledger (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => t?.close());

  const k = () => t.kios.db.kysely;
  /** One order's debit, as intake posts it: the balance after it, or null when not covered. */
  const debitOne = async (trx: Parameters<typeof debitOrders>[0], a: { resellerId: string; orderId: string; amount: number; at: number }) =>
    (await debitOrders(trx, { resellerId: a.resellerId, orders: [a] })).get(a.orderId) ?? null;
  const entriesOf = (resellerId: string) => k().selectFrom('ledger_entries').selectAll().where('reseller_id', '=', resellerId).orderBy('seq').execute();

  it('refuses amounts that are zero or not whole rupiah, writing nothing', async () => {
    const r = await t.reseller({ balance: 1000 });
    for (const amount of [0, 0.5, -0.5, Number.NaN, 2 ** 60]) {
      await expect(t.kios.db.transaction((trx) => post(trx, { resellerId: r.id, kind: 'adjustment', amount, at: Date.now() }))).rejects.toThrow(RangeError);
    }
    expect(await t.balance(r.id)).toBe(1000);
    expect(await entriesOf(r.id)).toHaveLength(1);
  });

  it('a debit that would overdraw writes nothing; one that fits leaves the exact running balance', async () => {
    const r = await t.reseller({ balance: 1000 });
    expect(await t.kios.db.transaction((trx) => debitOne(trx, { resellerId: r.id, orderId: 'ord_x1', amount: 1001, at: Date.now() }))).toBeNull();
    expect(await t.balance(r.id)).toBe(1000);
    const posted = await t.kios.db.transaction((trx) => debitOne(trx, { resellerId: r.id, orderId: 'ord_x2', amount: 1000, at: Date.now() }));
    expect(posted).toBe(0);
    expect((await entriesOf(r.id)).map((e) => [e.kind, e.amount, e.balance_after])).toEqual([
      ['deposit', 1000, 1000],
      ['order_debit', -1000, 0],
    ]);
  });

  it('concurrent debits never overdraw: 20 debits of 100 against 1000, exactly 10 succeed', async () => {
    const r = await t.reseller({ balance: 1000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.kios.db.transaction((trx) => debitOne(trx, { resellerId: r.id, orderId: `ord_c${i}_${r.id}`, amount: 100, at: Date.now() }))),
    );
    expect(results.filter((x) => x !== null)).toHaveLength(10);
    expect(new Set(results.filter((x) => x !== null))).toEqual(new Set([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]));
    expect(await t.balance(r.id)).toBe(0);
  });

  it('an order leg is posted once: a second debit or refund of one order is refused by the database', async () => {
    const r = await t.reseller({ balance: 1000 });
    const orderId = `ord_once_${r.id}`;
    await t.kios.db.transaction((trx) => debitOne(trx, { resellerId: r.id, orderId, amount: 300, at: Date.now() }));
    await expect(t.kios.db.transaction((trx) => debitOne(trx, { resellerId: r.id, orderId, amount: 300, at: Date.now() }))).rejects.toThrow();
    await t.kios.db.transaction((trx) => refundOrder(trx, { resellerId: r.id, orderId, amount: 300, partial: false, at: Date.now() }));
    await expect(t.kios.db.transaction((trx) => refundOrder(trx, { resellerId: r.id, orderId, amount: 300, partial: false, at: Date.now() }))).rejects.toThrow();
    expect(await t.balance(r.id)).toBe(1000);
    expect((await entriesOf(r.id)).map((e) => e.amount)).toEqual([1000, -300, 300]);
  });

  it('several orders of one reseller: one move when the balance covers them all, else each in turn, and every entry carries its running balance', async () => {
    const r = await t.reseller({ balance: 1000 });
    const at = Date.now();
    const all = await t.kios.db.transaction((trx) =>
      debitOrders(trx, { resellerId: r.id, orders: [100, 200, 300].map((amount, i) => ({ orderId: `ord_b${i}_${r.id}`, amount, at })) }),
    );
    expect([...all.values()]).toEqual([900, 700, 400]);
    // 400 left: 300 fits (100 left), the next 300 does not, 100 fits (0 left), 50 does not.
    const some = await t.kios.db.transaction((trx) =>
      debitOrders(trx, { resellerId: r.id, orders: [300, 300, 100, 50].map((amount, i) => ({ orderId: `ord_s${i}_${r.id}`, amount, at })) }),
    );
    expect([...some]).toEqual([
      [`ord_s0_${r.id}`, 100],
      [`ord_s2_${r.id}`, 0],
    ]);
    expect(await t.balance(r.id)).toBe(0);
    expect((await entriesOf(r.id)).map((e) => [e.order_id?.slice(0, 6) ?? null, e.amount, e.balance_after])).toEqual([
      [null, 1000, 1000],
      ['ord_b0', -100, 900],
      ['ord_b1', -200, 700],
      ['ord_b2', -300, 400],
      ['ord_s0', -300, 100],
      ['ord_s2', -100, 0],
    ]);
    expect(await verifyLedger(k())).toEqual([]);
  });

  describe('verifyLedger', () => {
    it('finds nothing wrong with real orders, and each kind of damage once it is done', async () => {
      const r = await t.reseller({ balance: 100_000 });
      const place = async (user: string) => {
        const res = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: user, server_id: '1234' });
        expect(res.status).toBe(201);
        return t.settle(res.json.data.invoice_number);
      };
      const ok = await place('123456789');
      const failed = await place('123456999');
      const partial = await place('123456777');
      expect([ok.status, failed.status, partial.status]).toEqual(['SUCCESS', 'FAILED', 'PARTIAL_SUCCESS']);
      expect(await verifyLedger(k())).toEqual([]);

      /** Applies damage, checks the verifier names it, and undoes it. */
      async function damaged(damage: () => Promise<unknown>, undo: () => Promise<unknown>, expected: { kind: string; subject: string }[]) {
        await damage();
        try {
          const found = await verifyLedger(k());
          for (const e of expected) expect(found).toContainEqual(expect.objectContaining(e));
        } finally {
          await undo();
        }
        expect(await verifyLedger(k())).toEqual([]);
      }

      const balance = await t.balance(r.id);
      const setBalance = (b: number) => k().updateTable('resellers').set({ balance: b }).where('id', '=', r.id).execute();
      await damaged(() => setBalance(balance + 1), () => setBalance(balance), [{ kind: 'balance_mismatch', subject: r.id }]);

      const debit = (await k().selectFrom('ledger_entries').selectAll().where('order_id', '=', ok.id).where('order_leg', '=', 'debit').executeTakeFirstOrThrow());
      const setDebit = (amount: number) => k().updateTable('ledger_entries').set({ amount }).where('id', '=', debit.id).execute();
      await damaged(() => setDebit(debit.amount + 1), () => setDebit(debit.amount), [
        { kind: 'debit', subject: ok.id },
        { kind: 'running_sum', subject: debit.id },
        { kind: 'balance_mismatch', subject: r.id },
      ]);

      const setStatus = (id: string, status: string) => k().updateTable('orders').set({ status }).where('id', '=', id).execute();
      // A FAILED order that kept the money, a SUCCESS order that was refunded.
      await damaged(() => setStatus(ok.id, 'FAILED'), () => setStatus(ok.id, 'SUCCESS'), [{ kind: 'refund', subject: ok.id }]);
      await damaged(() => setStatus(failed.id, 'SUCCESS'), () => setStatus(failed.id, 'FAILED'), [{ kind: 'refund', subject: failed.id }]);
      const setRefunded = (n: number) => k().updateTable('orders').set({ refunded_amount: n }).where('id', '=', partial.id).execute();
      await damaged(() => setRefunded(partial.refunded_amount - 1), () => setRefunded(partial.refunded_amount), [{ kind: 'refund', subject: partial.id }]);

      // An order with no debit at all.
      const setLeg = (leg: 'debit' | null) => k().updateTable('ledger_entries').set({ order_leg: leg }).where('id', '=', debit.id).execute();
      await damaged(() => setLeg(null), () => setLeg('debit'), [{ kind: 'debit', subject: ok.id }]);
    });
  });
});
