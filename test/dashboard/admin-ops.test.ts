import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorSession, type DashboardClient } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

vi.setConfig({ testTimeout: 60_000 });

// Demo catalog, platinum tier: price, and the simulator route's cost (3% under).
const ML5 = { code: 'S1_1187', price: 1511, cost: 1465 };
const FF70 = { code: 'FF70', price: 9405, cost: 9122 };

describe.each(DIALECTS)('operator dashboard: operations API (%s)', (dialect) => {
  let t: TestKios;
  let owner: DashboardClient & { email: string; id: string };
  let staff: DashboardClient & { email: string; id: string };
  beforeAll(async () => {
    t = await TestKios.start(dialect, { SIMULATOR_PENDING_MS: '600000' });
    owner = await operatorSession(t, 'owner');
    staff = await operatorSession(t, 'staff');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function pendingOrder(key: string, userId: string): Promise<string> {
    const res = await t.order(key, { product_code: FF70.code, user_id: userId });
    const invoice = res.json.data.invoice_number as string;
    const o = await t.orderRow(invoice);
    await eventually(async () => expect((await supplierAttemptsOf(t.kios.db.kysely, o.id))[0]?.state).toBe('sent'));
    return invoice;
  }
  const today = async (c: DashboardClient = staff) => {
    const r = await c.get('/api/admin/overview');
    expect(r.status).toBe(200);
    return r.json.today as { orders: number; successful: number; revenue: number; cost: number; margin: number; byStatus: Record<string, number> };
  };
  const auditOf = async (invoice: string) => (await owner.get(`/api/admin/audit?target=${encodeURIComponent(invoice)}`)).json.items as { action: string; actor: { email: string }; before: any; after: any; reason: string }[];

  it('overview numbers follow a success, a staff resolve and an owner refund to the rupiah; each action audited', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const start = await today();
    const ok = await t.order(r.apiKey, { product_code: ML5.code, user_id: '123456789', server_id: '1234' });
    const okInvoice = ok.json.data.invoice_number as string;
    await t.settle(okInvoice);
    const pending = await pendingOrder(r.apiKey, '12121555');
    const mid = await today();
    expect([mid.orders - start.orders, mid.successful - start.successful, mid.revenue - start.revenue, mid.cost - start.cost]).toEqual([2, 1, ML5.price, ML5.cost]);
    expect(mid.byStatus.PENDING! - start.byStatus.PENDING!).toBe(1);

    // Staff may resolve (the order's own rules, audited).
    const resolved = await staff.post(`/api/admin/orders/${pending}/resolve`, { outcome: 'partial', reason: 'Terkirim 1 dari 2', refund: 2_000 });
    expect(resolved.status).toBe(200);
    expect(resolved.json.order).toMatchObject({ invoiceNumber: pending, status: 'PARTIAL_SUCCESS', refundedAmount: 2_000, resellerId: r.id });
    const again = await staff.post(`/api/admin/orders/${pending}/resolve`, { outcome: 'failed', reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('CONFLICT');
    const afterResolve = await today();
    expect([afterResolve.successful - mid.successful, afterResolve.revenue - mid.revenue, afterResolve.cost - mid.cost, afterResolve.margin - mid.margin]).toEqual([1, FF70.price - 2_000, FF70.cost, FF70.price - 2_000 - FF70.cost]);

    // Staff may not refund: 403, nothing changed.
    const before = await t.snapshot();
    const refused = await staff.post(`/api/admin/orders/${okInvoice}/refund`, { reason: 'no' });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('FORBIDDEN');
    expect(await t.snapshot()).toEqual(before);
    expect((await t.orderRow(okInvoice)).status).toBe('SUCCESS');

    const refunded = await owner.post(`/api/admin/orders/${okInvoice}/refund`, { reason: 'supplier reversed' });
    expect(refunded.status).toBe(200);
    expect(refunded.json.order).toMatchObject({ status: 'REFUNDED', refundedAmount: ML5.price });
    expect((await owner.post(`/api/admin/orders/${okInvoice}/refund`, { reason: 'twice' })).status).toBe(409);
    const end = await today();
    expect([end.successful - afterResolve.successful, end.revenue - afterResolve.revenue, end.cost - afterResolve.cost]).toEqual([-1, -ML5.price, -ML5.cost]);
    expect(await t.balance(r.id)).toBe(100_000 - (FF70.price - 2_000));

    expect(await auditOf(pending)).toEqual([
      expect.objectContaining({
        action: 'order.resolve',
        actor: expect.objectContaining({ email: staff.email }),
        before: expect.objectContaining({ status: 'PENDING', refundedAmount: 0 }),
        after: expect.objectContaining({ status: 'PARTIAL_SUCCESS', refundedAmount: 2_000, outcome: 'partial' }),
        reason: 'Terkirim 1 dari 2',
      }),
    ]);
    expect(await auditOf(okInvoice)).toEqual([
      expect.objectContaining({ action: 'order.refund', actor: expect.objectContaining({ email: owner.email }), before: expect.objectContaining({ status: 'SUCCESS' }), after: expect.objectContaining({ status: 'REFUNDED', refundedAmount: ML5.price }) }),
    ]);
    await t.expectLedgerConsistent();
  });

  it('many concurrent resolve and refund clicks move money once; the others answer 409', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const pending = await pendingOrder(r.apiKey, '34343555');
    const clicks = await Promise.all(Array.from({ length: 10 }, () => staff.post(`/api/admin/orders/${pending}/resolve`, { outcome: 'failed', reason: 'lost' })));
    expect(clicks.map((c) => c.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await t.balance(r.id)).toBe(100_000);

    const ok = await t.order(r.apiKey, { product_code: ML5.code, user_id: '123456789', server_id: '1234' });
    await t.settle(ok.json.data.invoice_number);
    const refunds = await Promise.all(Array.from({ length: 10 }, () => owner.post(`/api/admin/orders/${ok.json.data.invoice_number}/refund`, { reason: 'reversed' })));
    expect(refunds.map((c) => c.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await t.balance(r.id)).toBe(100_000);
    expect(await auditOf(pending)).toHaveLength(1);
    expect(await auditOf(ok.json.data.invoice_number)).toHaveLength(1);
    await t.expectLedgerConsistent();
  });

  it('staff is refused the audit log; bad input is a 400, an unknown order a 404, nothing changed', async () => {
    expect((await staff.get('/api/admin/audit')).status).toBe(403);
    const r = await t.reseller({ balance: 50_000 });
    const pending = await pendingOrder(r.apiKey, '56565555');
    const before = await t.snapshot();
    for (const body of [{ outcome: 'maybe', reason: 'x' }, { outcome: 'failed' }, { outcome: 'failed', reason: '' }, { outcome: 'partial', reason: 'x', refund: 1.5 }, { outcome: 'partial', reason: 'x', refund: FF70.price }]) {
      const res = await staff.post(`/api/admin/orders/${pending}/resolve`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION');
    }
    expect((await staff.post('/api/admin/orders/INV-NOPE/resolve', { outcome: 'failed', reason: 'x' })).status).toBe(404);
    expect((await staff.get('/api/admin/orders/INV-NOPE')).status).toBe(404);
    expect((await staff.post(`/api/admin/orders/${pending}/resolve`, { outcome: 'failed', reason: 'x' }, { csrf: false })).status).toBe(403);
    expect((await staff.get('/api/admin/orders?status=NOPE')).status).toBe(400);
    expect((await staff.get('/api/admin/orders?cursor=bogus')).status).toBe(400);
    expect(await t.snapshot()).toEqual(before);
    expect(await auditOf(pending)).toEqual([]);
    expect((await fetch(`${t.url}/api/admin/overview`)).status).toBe(401);
  });

  it('searches across resellers, shows the whole history, resends a callback once, verifies the ledger', async () => {
    const a = await t.reseller({ balance: 50_000, name: 'Toko A' });
    const res = await t.order(a.apiKey, { product_code: ML5.code, user_id: '778899001', server_id: '1234', trx_id: 'OPS-1', callback_url: 'http://127.0.0.1:9/hook?token=s3cret' });
    const invoice = res.json.data.invoice_number as string;
    await t.settle(invoice);
    for (const q of [`invoice=${invoice}`, 'trxId=OPS-1', 'destination=778899001', `reseller=${a.id}&status=SUCCESS`]) {
      const page = await staff.get(`/api/admin/orders?${q}`);
      expect(page.status, q).toBe(200);
      expect(page.json.items.map((o: { invoiceNumber: string }) => o.invoiceNumber), q).toEqual([invoice]);
      expect(page.json.items[0].resellerName).toBe('Toko A');
    }
    const h = await staff.get(`/api/admin/orders/${invoice}`);
    expect(h.status).toBe(200);
    expect(h.json.attempts).toEqual([expect.objectContaining({ supplierId: 'simulator', state: 'success', cost: ML5.cost })]);
    expect(h.json.ledger).toEqual([expect.objectContaining({ leg: 'debit', amount: -ML5.price })]);
    expect(h.text).not.toContain('s3cret');

    // Port 9 refuses: the callback fails until the schedule is spent, then is listed as given up.
    await eventually(async () => {
      const f = await staff.get('/api/admin/callbacks/failing');
      expect(f.json.items.find((i: { invoiceNumber: string }) => i.invoiceNumber === invoice)).toMatchObject({ nextRetryAt: null, target: 'http://127.0.0.1:9/hook?…', resellerName: 'Toko A' });
    }, 15_000);
    const clicks = await Promise.all([1, 2, 3].map(() => staff.post(`/api/admin/orders/${invoice}/resend-callback`, {})));
    expect(clicks.map((c) => c.status).sort()).toEqual([200, 409, 409]);
    expect((await auditOf(invoice)).map((e) => e.action)).toEqual(['callback.resend']);

    expect((await staff.get('/api/admin/ledger/verification')).status).toBe(200);
    const v = await staff.post('/api/admin/ledger/verify', {});
    expect(v.status).toBe(200);
    expect(v.json.result).toMatchObject({ ok: true, violations: 0 });
    expect((await staff.get('/api/admin/ledger/verification')).json.last).toEqual({ ok: true, violations: 0, at: v.json.result.at });
    expect((await owner.get(`/api/admin/audit?action=ledger.verify&actor=${staff.email}`)).json.items).toHaveLength(1);
    expect((await staff.get('/api/admin/overview')).json.ledger).toMatchObject({ ok: true });
  });
});
