import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Exchange } from '../../src/connectors/types.js';
import type { Order, OrderAttempt } from '../../src/db/schema.js';
import { CompiledQuery, type RawBuilder } from 'kysely';
import type { Answer } from '../../src/orders/attempts.js';
import { answerRecord, attemptsUpdate, type AttemptSuccess, type Delivery } from '../../src/orders/settle-successes.js';
import { successUpdate } from '../../src/orders/transitions.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Deliveries settled together (`settleSuccesses`): the fulfilment job's full deliveries of one
 * turn are one transaction, one statement per table. Every case is played twice on fresh orders
 * at the same clock: once alone (the per-order transaction, the way a caller without the order
 * in hand settles) and once together; the rows each leaves must be the same.
 */
const ROUTE = { supplierId: 'simulator', sku: 'ML5', cost: 1400 };
const T0 = 1_800_000_000_000;
const EXCHANGES: Exchange[] = [{ method: 'POST', url: 'http://supplier.test/order', request: `{"ref":"x","pad":"${'p'.repeat(1500)}"}`, status: 200, response: '{"ok":true}', ms: 12 }];

type Case = 'purchase' | 'voucher' | 'status' | 'moved' | 'checked' | 'resolved' | 'twice';
// moved: a first answer came after the job read; checked: a second one (only `checks` tells).
const CASES: Case[] = ['purchase', 'purchase', 'voucher', 'status', 'moved', 'checked', 'resolved', 'twice'];

describe.each(DIALECTS)('settling deliveries together (%s)', (dialect) => {
  let t: TestKios;
  let now = T0;
  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, { clock: () => now });
    // The worker is stopped: these tests play the fulfilment job's part themselves.
    await t.running.worker?.stop();
  });
  afterAll(async () => t?.close());

  /** One order per case, attempt 1 sending, and what the job holds of each (set up per case). */
  async function prepare(): Promise<{ order: Order; attempt: OrderAttempt; answer: Answer; how: { source: 'purchase' | 'status'; exchanges: Exchange[]; durationMs?: number } }[]> {
    now = T0;
    const r = await t.reseller({ balance: 1_000_000 });
    await t.kios.db.kysely.updateTable('resellers').set({ webhook_url: 'https://hooks.example.com/kios' }).where('id', '=', r.id).execute();
    const out = [];
    for (const [i, c] of CASES.entries()) {
      now = T0;
      const product = c === 'voucher' ? { product_code: 'GPV10', user_id: '81234567890' } : { product_code: 'S1_1187', user_id: '123456', server_id: '1234' };
      const res = await t.order(r.apiKey, product);
      expect(res.status, res.text).toBe(201);
      let order = await t.kios.db.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', res.json.data.invoice_number).executeTakeFirstOrThrow();
      expect(await t.kios.attempts.start(order, 1, ROUTE, null)).toMatchObject({ state: 'sending' });
      const key = { order_id: order.id, n: 1 };
      const pending: Answer = { kind: 'pending', supplierRef: `SREF-${i}` };
      now = T0 + 1_000;
      if (c === 'status' || c === 'checked') await t.kios.attempts.settle(key, pending, { source: 'status', exchanges: [] });
      order = await t.kios.db.kysely.selectFrom('orders').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
      const attempt = await t.kios.db.kysely.selectFrom('order_attempts').selectAll().where('order_id', '=', order.id).executeTakeFirstOrThrow();
      // Behind the job's back, after it read: a status check answered, or the operator resolved the order.
      if (c === 'moved' || c === 'checked') await t.kios.attempts.settle(key, pending, { source: 'status', exchanges: [] });
      if (c === 'resolved') await t.kios.db.kysely.updateTable('orders').set({ status: 'FAILED', failure_reason: 'by hand' }).where('id', '=', order.id).execute();
      const answer: Answer = { kind: 'success', supplierRef: i % 2 === 0 ? `SREF-${i}` : null, sn: `SN-${i}`, voucher: c === 'voucher' ? 'AAAA-BBBB-CCCC-DDDD' : null };
      const how = c === 'status' ? { source: 'status' as const, exchanges: EXCHANGES } : { source: 'purchase' as const, exchanges: EXCHANGES, durationMs: 40 + i };
      out.push({ order, attempt, answer, how });
      if (c === 'twice') out.push({ order, attempt, answer, how });
    }
    now = T0 + 61_000;
    return out;
  }

  /** Everything an order's settlement writes, with the order's own identifiers replaced so two orders compare. */
  async function written(order: Order) {
    const k = t.kios.db.kysely;
    const [o, attempts, jobs, events, ledger] = await Promise.all([
      k.selectFrom('orders').select(['status', 'ref', 'sn', 'voucher', 'failure_reason', 'refunded_amount', 'response_note', 'updated_at', 'completed_at']).where('id', '=', order.id).executeTakeFirstOrThrow(),
      k.selectFrom('order_attempts').selectAll().where('order_id', '=', order.id).orderBy('n').execute(),
      k.selectFrom('jobs').select(['kind', 'dedupe_key', 'payload', 'status', 'run_at']).where('order_id', '=', order.id).where('kind', '=', 'callback').execute(),
      k.selectFrom('order_events').select(['type', 'at', 'data']).where('order_id', '=', order.id).orderBy('seq').execute(),
      k.selectFrom('ledger_entries').select(['kind', 'amount']).where('order_id', '=', order.id).execute(),
    ]);
    let text = JSON.stringify({ o, attempts, jobs, events, ledger });
    for (const [name, v] of [['ID', order.id], ['INVOICE', order.invoice_number], ['TRX', order.trx_id], ['RESELLER', order.reseller_id], ['OWNREF', order.ref]] as const) if (v) text = text.split(v).join(name);
    return text;
  }

  it('leave the same rows as each settled alone, in one transaction for the turn', async () => {
    const alone = await prepare();
    const aloneResults = [];
    for (const d of alone) aloneResults.push(await t.kios.attempts.settle({ order_id: d.order.id, n: 1 }, d.answer, d.how, { attempt: d.attempt }));

    const together = await prepare();
    const transactions = vi.spyOn(t.kios.db, 'transaction');
    let togetherResults;
    try {
      togetherResults = await Promise.all(together.map((d) => t.kios.attempts.settle({ order_id: d.order.id, n: 1 }, d.answer, d.how, { attempt: d.attempt, order: d.order })));
      // One for the batch; the two moved attempts and the second delivery of one attempt are settled afresh, alone.
      expect(transactions).toHaveBeenCalledTimes(4);
    } finally {
      transactions.mockRestore();
    }

    expect(togetherResults).toEqual(aloneResults);
    expect(aloneResults.map((r) => r.kind)).toEqual(['final', 'final', 'final', 'final', 'final', 'final', 'final', 'final', 'ignored']);
    for (const [i, d] of together.entries()) {
      if (i > 0 && together[i - 1]!.order.id === d.order.id) continue;
      expect(await written(d.order), CASES[i] ?? 'twice').toEqual(await written(alone[i]!.order));
    }

    // What the rows say, beyond being the same: spot checks that would catch both paths agreeing on a wrong answer.
    const byCase = (c: Case) => together[CASES.indexOf(c)]!;
    const k = t.kios.db.kysely;
    const voucher = await k.selectFrom('orders').select(['status', 'voucher', 'ref']).where('id', '=', byCase('voucher').order.id).executeTakeFirstOrThrow();
    expect(voucher).toEqual({ status: 'SUCCESS', voucher: 'AAAA-BBBB-CCCC-DDDD', ref: 'SREF-2' });
    const status = await k.selectFrom('order_attempts').selectAll().where('order_id', '=', byCase('status').order.id).executeTakeFirstOrThrow();
    expect(status).toMatchObject({ state: 'success', checks: 2, answered_at: T0 + 1_000, finished_at: T0 + 61_000, request: null, duration_ms: null, supplier_ref: 'SREF-3' });
    const purchase = await k.selectFrom('order_attempts').selectAll().where('order_id', '=', byCase('purchase').order.id).executeTakeFirstOrThrow();
    expect(purchase).toMatchObject({ state: 'success', checks: 0, answered_at: T0 + 61_000, finished_at: T0 + 61_000, duration_ms: 40, supplier_ref: 'SREF-0' });
    expect(JSON.parse(purchase.request!)[0].request).toHaveLength(1000);
    const resolved = byCase('resolved').order.id;
    expect(await k.selectFrom('orders').select('status').where('id', '=', resolved).executeTakeFirstOrThrow()).toEqual({ status: 'FAILED' });
    expect((await k.selectFrom('order_events').select('type').where('order_id', '=', resolved).orderBy('seq').execute()).map((e) => e.type)).toEqual(['created', 'supplier_purchase', 'supplier_conflict']);
    expect(await k.selectFrom('jobs').select('id').where('order_id', '=', resolved).where('kind', '=', 'callback').execute()).toEqual([]);
    const twice = byCase('twice').order.id;
    expect(await k.selectFrom('jobs').select('dedupe_key').where('order_id', '=', twice).where('kind', '=', 'callback').execute()).toEqual([{ dedupe_key: `callback:${twice}:SUCCESS` }]);
    const payload = JSON.parse((await k.selectFrom('jobs').select('payload').where('order_id', '=', byCase('purchase').order.id).where('kind', '=', 'callback').executeTakeFirstOrThrow()).payload);
    expect(payload).toMatchObject({ format: 'json', url: 'https://hooks.example.com/kios' });
    expect(JSON.parse(payload.body)).toMatchObject({ status: 'SUCCESS', balance: expect.any(Number) });
  });

  it('a batch that fails leaves nothing of any of its deliveries, and each caller gets the error', async () => {
    const ds = (await prepare()).filter((_, i) => CASES[i] === 'purchase');
    const k = t.kios.db.kysely;
    const before = await Promise.all(ds.map((d) => written(d.order)));
    // A statement failing after the attempts were written (the orders' update, here made to throw).
    const failing = vi.spyOn(t.kios.transitions, 'finaliseSuccesses').mockRejectedValueOnce(new Error('disk on fire'));
    try {
      const results = await Promise.allSettled(ds.map((d) => t.kios.attempts.settle({ order_id: d.order.id, n: 1 }, d.answer, d.how, { attempt: d.attempt, order: d.order })));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    } finally {
      failing.mockRestore();
    }
    expect(await Promise.all(ds.map((d) => written(d.order)))).toEqual(before);
    expect(await k.selectFrom('order_attempts').select('state').where('order_id', 'in', ds.map((d) => d.order.id)).execute()).toEqual([{ state: 'sending' }, { state: 'sending' }]);
  });

  // PostgreSQL plans by statistics; SQLite has none, and once scanned `order_attempts` per batch.
  if (dialect === 'sqlite')
    it('each batch is one primary-key lookup per row, whatever its size (SQLite plans without statistics)', async () => {
    const k = t.kios.db.kysely;
    const plan = async (q: RawBuilder<unknown>) => {
      const c = q.compile(k);
      const rows = await k.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]));
      return rows.rows.map((r) => r.detail);
    };
    const order = (await k.selectFrom('orders').selectAll().limit(1).executeTakeFirstOrThrow()) as Order;
    for (const size of [1, 2, 30, 100, 256, 500]) {
      const rows: AttemptSuccess[] = Array.from({ length: size }, (_, i) => {
        const attempt = { order_id: `ord_${i}`, n: 1, state: 'sending', checks: 0, answered_at: null } as OrderAttempt;
        const d: Delivery = { attempt, order, answer: { kind: 'success', supplierRef: null }, how: { source: 'purchase', exchanges: [] } };
        return { d, supplierRef: null, ...answerRecord(attempt, d.answer, d.how, T0) };
      });
      const attempts = await plan(attemptsUpdate(rows, T0));
      expect(attempts, `${size} attempts`).toContainEqual(expect.stringMatching(/^SEARCH order_attempts USING INDEX sqlite_autoindex_order_attempts_1 \(order_id=\? AND n=\?\)/));
      expect(attempts.filter((d) => d.startsWith('SCAN order_attempts')), `${size} attempts`).toEqual([]);
      const orders = await plan(successUpdate(Array.from({ length: size }, (_, i) => ({ ...order, id: `ord_${i}` }))));
      expect(orders, `${size} orders`).toContainEqual(expect.stringMatching(/^SEARCH orders USING INDEX sqlite_autoindex_orders_1 \(id=\?\)/));
      expect(orders.filter((d) => d.startsWith('SCAN orders')), `${size} orders`).toEqual([]);
    }
  });
});
