import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { eventsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { PRODUCT, TwoSuppliers } from './support.js';

/**
 * Routing with failover through two real (fake) suppliers: an explicit refusal moves the order
 * to the next route, an ambiguous answer never does, and the reseller is charged once whatever
 * happens. Attempts carry their own references (`<order id>-<n>`), which the fakes count.
 */
describe.each(DIALECTS)('failover between suppliers (%s)', (dialect) => {
  let s: TwoSuppliers;
  beforeAll(async () => {
    // kios gives a supplier 700 ms; the fakes hold "timed out" requests for 1.5 s.
    s = await TwoSuppliers.start(dialect, { SUPPLIER_TIMEOUT_MS: '700' }, { faults: { hangMs: 1500 } });
  });
  afterEach(() => s.reset());
  afterAll(async () => s?.close());

  it('route 1 refuses explicitly, route 2 delivers: one SUCCESS, one debit, two attempts with different references', async () => {
    s.reset();
    s.kg.plan = () => 'refuse';
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000001');
    const o = await s.t.settle(invoice);
    expect(o.status).toBe('SUCCESS');

    const attempts = await s.attempts(id);
    expect(attempts.map((a) => [a.n, a.supplier_id, a.sku, a.cost, a.ref, a.state])).toEqual([
      [1, 'tossgames', PRODUCT.kgSku, 18_000, `${id}-1`, 'failed'],
      [2, 'digi', PRODUCT.dfSku, 18_100, `${id}-2`, 'success'],
    ]);
    expect(attempts[0]!.reason).toMatch(/^PRODUCT_INACTIVE/);
    // The refusing platform booked nothing; Digiflazz booked the second reference once.
    expect(s.kg.txnsFor(id)).toHaveLength(0);
    expect(s.df.txnsFor(id).map((t) => [t.ref, t.requests])).toEqual([[`${id}-2`, 1]]);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
    expect(await s.t.balance(r.id)).toBe(100_000 - PRODUCT.price);
    // The reseller never notices: its view is an ordinary SUCCESS with Digiflazz's serial number.
    const view = await s.t.request('GET', `/v1/status/${invoice}`, { key: r.apiKey });
    expect(view.json.data.status).toBe('SUCCESS');
    await s.t.expectLedgerConsistent();
  });

  it('route 1 times out: the order stays PENDING on route 1 (no failover) until a status check decides', async () => {
    s.reset();
    s.kg.plan = () => 'slow-success';
    // Pending at the platform well past kios's time limit, so the undecided window can be seen.
    s.kg.opts.pendingMs = 2500;
    let first = true;
    s.kg.faultFor = (path) => (path === '/v2/order' && first ? ((first = false), 'hang-after') : 'none');
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000002');

    // The purchase went out and got no answer: undecided, still on route 1, nothing at route 2.
    await eventually(async () => {
      const [a] = await s.attempts(id);
      if (!a?.answered_at) throw new Error('no answer recorded yet');
    });
    expect((await s.t.orderRow(invoice)).status).toBe('PENDING');
    expect((await s.attempts(id)).map((a) => [a.n, a.supplier_id])).toEqual([[1, 'tossgames']]);
    expect(s.df.requestsFor(id)).toHaveLength(0);

    const o = await s.t.settle(invoice);
    expect(o.status).toBe('SUCCESS');
    const attempts = await s.attempts(id);
    expect(attempts.map((a) => [a.n, a.supplier_id, a.state])).toEqual([[1, 'tossgames', 'success']]);
    // Bought once: the platform received one order under the reference; the rest were status checks.
    expect(s.kg.txns.get(`${id}-1`)?.requests).toBe(1);
    expect(s.df.requestsFor(id)).toHaveLength(0);
    const purchase = (await eventsOf(s.t.kios.db.kysely, id, 'supplier_purchase'))[0]!;
    expect(purchase.data).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
    await s.t.expectLedgerConsistent();
  });

  it('route 1 times out, then explicitly fails: only then does the order fail over to route 2', async () => {
    s.reset();
    s.kg.plan = () => 'slow-failed';
    let first = true;
    s.kg.faultFor = (path) => (path === '/v2/order' && first ? ((first = false), 'hang-after') : 'none');
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000003');
    const o = await s.t.settle(invoice);
    expect(o.status).toBe('SUCCESS');
    const attempts = await s.attempts(id);
    expect(attempts.map((a) => [a.n, a.supplier_id, a.ref, a.state])).toEqual([
      [1, 'tossgames', `${id}-1`, 'failed'],
      [2, 'digi', `${id}-2`, 'success'],
    ]);
    // Route 2 was asked only after route 1's explicit failure was known.
    expect(attempts[1]!.started_at).toBeGreaterThanOrEqual(attempts[0]!.finished_at!);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
    await s.t.expectLedgerConsistent();
  });

  it.each([
    ['tossgames', '/v2/order'],
    ['digi', '/transaction'],
  ] as const)('a 5xx from %s before it took the purchase: a status check finds nothing, the same reference is re-sent, bought once', async (supplier, path) => {
    s.reset();
    const fake = supplier === 'tossgames' ? s.kg : s.df;
    if (supplier === 'digi') s.kg.plan = () => 'refuse';
    let first = true;
    fake.faultFor = (p) => (p === path && first ? ((first = false), '5xx-before') : 'none');
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000004');
    const o = await s.t.settle(invoice);
    expect(o.status).toBe('SUCCESS');

    const attempts = await s.attempts(id);
    const mine = attempts.find((a) => a.supplier_id === supplier)!;
    expect(mine.state).toBe('success');
    // A 5xx proves nothing was taken: the attempt stayed unconfirmed, so "not found" re-sent it.
    const [purchase] = (await eventsOf(s.t.kios.db.kysely, id, 'supplier_purchase')).filter((e) => (e.data as { supplier: string }).supplier === supplier);
    expect(purchase!.data).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(fake.txnsFor(id).map((t) => [t.ref, t.state])).toEqual([[mine.ref, 'success']]);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
    await s.t.expectLedgerConsistent();
  });

  it('every route refuses: FAILED, refunded exactly once, with the last refusal as the reason', async () => {
    s.reset();
    s.kg.plan = () => 'refuse';
    s.df.plan = () => 'refuse';
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000004');
    const o = await s.t.settle(invoice);
    expect(o.status).toBe('FAILED');
    expect(o.refunded_amount).toBe(PRODUCT.price);
    expect(o.response_note).toMatch(/53 Produk Seller Sedang Tidak Tersedia$/);
    expect((await s.attempts(id)).map((a) => [a.supplier_id, a.state])).toEqual([
      ['tossgames', 'failed'],
      ['digi', 'failed'],
    ]);
    expect(await s.legs(id)).toEqual([
      ['order_debit', -PRODUCT.price],
      ['refund', PRODUCT.price],
    ]);
    expect(await s.t.balance(r.id)).toBe(100_000);
    await s.t.expectLedgerConsistent();
  });

  it('a refused destination fails the order at once: no other route is tried', async () => {
    s.reset();
    s.kg.plan = () => 'invalid';
    const r = await s.t.reseller({ balance: 100_000 });
    const { invoice, id } = await s.order(r, '700000005');
    const o = await s.t.settle(invoice);
    expect(o.status).toBe('FAILED');
    expect(o.response_note).toMatch(/INVALID_USER_ID/);
    expect((await s.attempts(id)).map((a) => [a.supplier_id, a.state])).toEqual([['tossgames', 'failed']]);
    expect(s.df.requestsFor(id)).toHaveLength(0);
    expect(await s.t.balance(r.id)).toBe(100_000);
    await s.t.expectLedgerConsistent();
  });

  it('Digiflazz above the selling price is refused by max_price: kios never buys at a loss', async () => {
    s.reset();
    s.kg.plan = () => 'refuse';
    const r = await s.t.reseller({ balance: 100_000 });
    const price = s.df.opts.price;
    s.df.opts.price = PRODUCT.price + 1;
    try {
      const { invoice, id } = await s.order(r, '700000006');
      const o = await s.t.settle(invoice);
      expect(o.status).toBe('FAILED');
      const [, digi] = await s.attempts(id);
      expect(digi).toMatchObject({ supplier_id: 'digi', state: 'failed' });
      expect(digi!.reason).toMatch(/^69 /);
      expect(s.df.txnsFor(id)).toHaveLength(0);
    } finally {
      s.df.opts.price = price;
    }
  });

  it('a disabled supplier and a disabled route are skipped for new orders', async () => {
    s.reset();
    await s.t.kios.suppliers.setActive('tossgames', false);
    const r = await s.t.reseller({ balance: 100_000 });
    try {
      const { invoice, id } = await s.order(r, '700000007');
      expect((await s.t.settle(invoice)).status).toBe('SUCCESS');
      expect((await s.attempts(id)).map((a) => [a.n, a.supplier_id])).toEqual([[1, 'digi']]);
    } finally {
      await s.t.kios.suppliers.setActive('tossgames', true);
    }
    await s.t.kios.routes.setActive(PRODUCT.code, 'tossgames', undefined, false);
    try {
      const { invoice, id } = await s.order(r, '700000008');
      expect((await s.t.settle(invoice)).status).toBe('SUCCESS');
      expect((await s.attempts(id)).map((a) => a.supplier_id)).toEqual(['digi']);
    } finally {
      await s.t.kios.routes.setActive(PRODUCT.code, 'tossgames', undefined, true);
    }
    // With every route off the product cannot be ordered at all: refused before any charge.
    await s.t.kios.routes.setActive(PRODUCT.code, 'tossgames', undefined, false);
    await s.t.kios.routes.setActive(PRODUCT.code, 'digi', undefined, false);
    try {
      const before = await s.t.snapshot();
      const res = await s.t.order(r.apiKey, { product_code: PRODUCT.code, user_id: '700000009', server_id: '2468' });
      expect(res.json.message).toBe('PRODUCT_INACTIVE');
      expect(await s.t.snapshot()).toEqual(before);
    } finally {
      await s.t.kios.routes.setActive(PRODUCT.code, 'tossgames', undefined, true);
      await s.t.kios.routes.setActive(PRODUCT.code, 'digi', undefined, true);
    }
  });

  it('kios\'s account refused at route 1 (bad API key) fails over, and the attempt says whose fault it is', async () => {
    s.reset();
    await s.t.kios.suppliers.update('tossgames', { api_key: 'kg_wrong_key_0000000000000' });
    try {
      const r = await s.t.reseller({ balance: 100_000 });
      const { invoice, id } = await s.order(r, '700000010');
      expect((await s.t.settle(invoice)).status).toBe('SUCCESS');
      const [kg, df] = await s.attempts(id);
      expect(kg).toMatchObject({ supplier_id: 'tossgames', state: 'failed' });
      expect(kg!.reason).toMatch(/^API_KEY_NOT_FOUND/);
      expect(df).toMatchObject({ supplier_id: 'digi', state: 'success' });
      const purchase = (await eventsOf(s.t.kios.db.kysely, id, 'supplier_purchase'))[0]!;
      expect(purchase.data).toMatchObject({ kind: 'failed', scope: 'account' });
    } finally {
      await s.t.kios.suppliers.update('tossgames', { api_key: s.kg.apiKey });
    }
  });
});
