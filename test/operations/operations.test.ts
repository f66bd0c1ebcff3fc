import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKios } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { daysEndingAt } from '../../src/operations/days.js';
import { orderHistory } from '../../src/operations/order-history.js';
import type { DayFigures } from '../../src/operations/overview.js';
import { OperatorError } from '../../src/resellers/service.js';
import { insertChunked, orderRow } from '../helpers/bulk-orders.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS, freshDatabase } from '../helpers/databases.js';
import { TEST_ENV, TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

const TZ = 'Asia/Jakarta';
// Demo catalog, platinum tier: price, and the simulator route's cost (3% under).
const ML5 = { code: 'S1_1187', price: 1511, cost: 1465 };
const FF70 = { code: 'FF70', price: 9405, cost: 9122 };

function delta(a: DayFigures, b: DayFigures) {
  return { orders: b.orders - a.orders, successful: b.successful - a.successful, revenue: b.revenue - a.revenue, cost: b.cost - a.cost, margin: b.margin - a.margin };
}

async function conflicts<T>(n: number, f: () => Promise<T>): Promise<{ ok: number; conflict: number }> {
  const r = await Promise.allSettled(Array.from({ length: n }, f));
  for (const x of r) if (x.status === 'rejected' && !(x.reason instanceof OperatorError && x.reason.kind === 'conflict')) throw x.reason;
  return { ok: r.filter((x) => x.status === 'fulfilled').length, conflict: r.filter((x) => x.status === 'rejected').length };
}

describe.each(DIALECTS)('operations services (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { SIMULATOR_PENDING_MS: '600000' });
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  async function pendingOrder(key: string, userId: string) {
    const res = await t.order(key, { product_code: FF70.code, user_id: userId });
    const invoice = res.json.data.invoice_number as string;
    const o = await t.orderRow(invoice);
    await eventually(async () => expect((await supplierAttemptsOf(t.kios.db.kysely, o.id))[0]?.state).toBe('sent'));
    return invoice;
  }

  it("today's figures move by the exact rupiah as orders succeed, fail, resolve and refund", async () => {
    const ov = () => t.kios.operations.overview.get(TZ).then((o) => o.today);
    const r = await t.reseller({ balance: 100_000 });
    const start = await ov();

    const ok = await t.order(r.apiKey, { product_code: ML5.code, user_id: '123456789', server_id: '1234' });
    await t.settle(ok.json.data.invoice_number);
    const afterSuccess = await ov();
    expect(delta(start, afterSuccess)).toEqual({ orders: 1, successful: 1, revenue: ML5.price, cost: ML5.cost, margin: ML5.price - ML5.cost });

    const failed = await t.order(r.apiKey, { product_code: FF70.code, user_id: '12345999' });
    await t.settle(failed.json.data.invoice_number);
    const afterFail = await ov();
    expect(delta(afterSuccess, afterFail)).toEqual({ orders: 1, successful: 0, revenue: 0, cost: 0, margin: 0 });
    expect(afterFail.byStatus.FAILED! - afterSuccess.byStatus.FAILED!).toBe(1);

    const pendingBefore = (await t.kios.operations.overview.get(TZ)).pending.count;
    const pending = await pendingOrder(r.apiKey, '44445555');
    const overview = await t.kios.operations.overview.get(TZ);
    expect(overview.pending.count).toBe(pendingBefore + 1);
    expect(overview.pending.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(overview.days).toHaveLength(7);
    expect(overview.days.at(-1)).toEqual(overview.today);

    await t.kios.orderAdmin.resolve(pending, 'partial', 'Terkirim sebagian', 1_000);
    const afterPartial = await ov();
    expect(delta(afterFail, afterPartial)).toEqual({ orders: 1, successful: 1, revenue: FF70.price - 1_000, cost: FF70.cost, margin: FF70.price - 1_000 - FF70.cost });

    await t.kios.orderAdmin.refund(ok.json.data.invoice_number, 'supplier reversed');
    const afterRefund = await ov();
    expect(delta(afterPartial, afterRefund)).toEqual({ orders: 0, successful: -1, revenue: -ML5.price, cost: -ML5.cost, margin: -(ML5.price - ML5.cost) });
    expect(await t.balance(r.id)).toBe(100_000 - (FF70.price - 1_000));
    await t.expectLedgerConsistent();
  });

  it('resolving or refunding one order from many requests at once moves money once; the rest are conflicts', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const pending = await pendingOrder(r.apiKey, '55556555');
    const audited: string[] = [];
    const resolved = await conflicts(8, () => t.kios.orderAdmin.resolve(pending, 'failed', 'lost', undefined, async (_trx, before, after) => void audited.push(`${before.status}->${after.status}`)));
    expect(resolved).toEqual({ ok: 1, conflict: 7 });
    expect(audited).toEqual(['PENDING->FAILED']);
    expect(await t.balance(r.id)).toBe(100_000);

    const ok = await t.order(r.apiKey, { product_code: ML5.code, user_id: '123456789', server_id: '1234' });
    await t.settle(ok.json.data.invoice_number);
    expect(await conflicts(8, () => t.kios.orderAdmin.refund(ok.json.data.invoice_number, 'reversed'))).toEqual({ ok: 1, conflict: 7 });
    expect(await t.balance(r.id)).toBe(100_000);
    await t.expectLedgerConsistent();
  });

  it('an action whose audit record fails changes nothing', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const pending = await pendingOrder(r.apiKey, '66667555');
    const before = await t.snapshot();
    await expect(
      t.kios.orderAdmin.resolve(pending, 'failed', 'x', undefined, async () => {
        throw new Error('audit down');
      }),
    ).rejects.toThrow('audit down');
    expect(await t.snapshot()).toEqual(before);
    expect((await t.orderRow(pending)).status).toBe('PENDING');
  });

  it('lists a callback that keeps failing, resends it once per click, and shows the order whole', async () => {
    const r = await t.reseller({ balance: 100_000 });
    sink.failNext(4);
    const res = await t.order(r.apiKey, { product_code: ML5.code, user_id: '123456789', server_id: '1234', callback_url: `${sink.url}/hook?secret=abc` });
    const invoice = res.json.data.invoice_number as string;
    await t.settle(invoice);
    const item = await eventually(async () => {
      const page = await t.kios.operations.callbacks.list();
      const found = page.items.find((i) => i.invoiceNumber === invoice);
      if (!found || found.nextRetryAt !== null) throw new Error('not given up yet');
      return found;
    });
    expect(item).toMatchObject({ resellerId: r.id, attempts: 4, lastError: 'HTTP 500', lastResponseCode: 500, target: `${sink.url}/hook?…` });
    expect(await t.kios.operations.overview.get(TZ).then((o) => o.failingCallbacks)).toBeGreaterThanOrEqual(1);

    const received = sink.received.length;
    const clicks = await conflicts(5, () => t.kios.operations.callbacks.resend(invoice));
    expect(clicks.ok).toBe(1);
    await sink.waitFor(received + 1);
    await eventually(async () => expect((await t.kios.operations.callbacks.list()).items.find((i) => i.invoiceNumber === invoice)).toBeUndefined());
    expect(sink.received.length).toBe(received + 1);

    const h = await orderHistory(t.kios.db, invoice);
    expect(h.order.status).toBe('SUCCESS');
    expect(h.attempts).toHaveLength(1);
    expect(h.attempts[0]).toMatchObject({ supplier_id: 'simulator', state: 'success', cost: ML5.cost });
    expect(h.callbacks).toHaveLength(1);
    expect(h.callbacks[0]!.deliveries.map((d) => d.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'delivered']);
    expect(h.callbacks[0]!.target).not.toContain('secret');
    expect(h.ledger.map((e) => [e.order_leg, e.amount])).toEqual([['debit', -ML5.price]]);
    expect(h.events.map((e) => e.type)).toContain('status');
    await expect(t.kios.operations.callbacks.resend('INV-NOPE')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('searches orders by invoice, trx_id, destination and date range', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const res = await t.order(r.apiKey, { product_code: ML5.code, user_id: '987654321', server_id: '1234', trx_id: 'TRX-SEARCH-1' });
    const invoice = res.json.data.invoice_number as string;
    const o = await t.orderRow(invoice);
    for (const f of [{ invoiceNumber: invoice }, { trxId: 'TRX-SEARCH-1' }, { userId: '987654321', resellerId: r.id }, { resellerId: r.id, from: o.created_at, to: o.created_at + 1 }]) {
      expect((await t.kios.orderAdmin.list(f)).orders.map((x) => x.invoice_number)).toEqual([invoice]);
    }
    expect((await t.kios.orderAdmin.list({ resellerId: r.id, to: o.created_at })).orders).toEqual([]);
  });

  it('verify now records its result', async () => {
    const v = await t.kios.operations.ledger.run();
    expect(v).toMatchObject({ ok: true, violations: 0, details: [] });
    expect(await t.kios.operations.ledger.last()).toEqual({ ok: true, violations: 0, at: v.at });
  });
});

describe.each(DIALECTS)('overview days in the operator time zone (%s)', (dialect) => {
  it("counts an order at 23:59 Jakarta in that day and one at 00:00 in the next, whatever UTC's date", async () => {
    const db = await freshDatabase(dialect);
    // 2025-03-02 10:00 in Jakarta (03:00 UTC).
    const now = Date.UTC(2025, 2, 2, 3, 0);
    const k = await createKios(loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir }), { log: pino({ level: 'silent' }), clock: () => now });
    try {
      const rs = (await k.resellers.create({ name: 'Toko', email: 'tz@example.com', role: 'platinum', balance: 0 })).reseller.id;
      const midnight = Date.UTC(2025, 2, 1, 17, 0); // 2025-03-02 00:00 Jakarta
      await insertChunked(k.db.kysely, 'orders', [
        orderRow({ id: 'ord_a', reseller_id: rs, status: 'SUCCESS', created_at: midnight - 1, amount: 1_000 }),
        orderRow({ id: 'ord_b', reseller_id: rs, status: 'SUCCESS', created_at: midnight, amount: 2_000 }),
        orderRow({ id: 'ord_c', reseller_id: rs, status: 'PARTIAL_SUCCESS', created_at: midnight + 3_600_000, amount: 3_000, refunded_amount: 500 }),
        orderRow({ id: 'ord_d', reseller_id: rs, status: 'REFUNDED', created_at: midnight + 1, amount: 4_000, refunded_amount: 4_000 }),
        orderRow({ id: 'ord_e', reseller_id: rs, status: 'PENDING', created_at: now - 60_000, amount: 5_000 }),
      ]);
      await k.db.kysely.insertInto('order_attempts').values({ order_id: 'ord_b', n: 1, supplier_id: 'simulator', sku: 'x', cost: 1_900, ref: 'ord_b-1', supplier_ref: null, state: 'success', reason: null, scope: null, request: null, response: null, checks: 0, started_at: midnight, answered_at: null, finished_at: null, duration_ms: null }).execute();
      const o = await k.operations.overview.get(TZ);
      expect(o.today).toMatchObject({ date: '2025-03-02', start: midnight, orders: 4, successful: 2, revenue: 2_000 + 2_500, cost: 1_900, margin: 4_500 - 1_900, costUnknown: 1 });
      expect(o.today.byStatus).toMatchObject({ SUCCESS: 1, PARTIAL_SUCCESS: 1, REFUNDED: 1, PENDING: 1 });
      expect(o.days.at(-2)).toMatchObject({ date: '2025-03-01', orders: 1, revenue: 1_000, costUnknown: 1 });
      expect(o.pending).toEqual({ count: 1, oldestCreatedAt: now - 60_000, oldestAgeMs: 60_000 });
      expect(o.days.map((d) => d.date)).toEqual(daysEndingAt(now, TZ, 7).map((d) => d.date));
    } finally {
      await k.close();
      await db.drop();
    }
  });
});
