import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { PRODUCT, TwoSuppliers } from './support.js';

/**
 * A supplier account's declared rate limit is honoured by the worker: orders beyond it wait for
 * a free slot (queued, never dropped nor failed over), and the supplier never sees more calls in
 * any window than the limit allows, whatever the worker's concurrency.
 */
describe.each(DIALECTS)('supplier rate limit (%s)', (dialect) => {
  let s: TwoSuppliers;
  beforeAll(async () => {
    s = await TwoSuppliers.start(dialect, { WORKER_CONCURRENCY: '16' });
    // Digiflazz only, at 3 calls per 0.5 s.
    await s.t.kios.suppliers.setActive('tossgames', false);
    await s.t.kios.suppliers.update('digi', { rate_limit: { requests: 3, per_seconds: 0.5 } });
  });
  afterAll(async () => s?.close());

  it('10 orders at once against 3 calls per 0.5 s: every order delivered, no window over the limit', async () => {
    const r = await s.t.reseller({ balance: 1_000_000 });
    const placed = await Promise.all(Array.from({ length: 10 }, (_, i) => s.order(r, `7100000${String(i).padStart(2, '0')}`)));
    const orders = await Promise.all(placed.map((p) => s.t.settle(p.invoice)));
    expect(orders.map((o) => o.status)).toEqual(Array(10).fill('SUCCESS'));
    for (const p of placed) expect((await s.attempts(p.id)).map((a) => [a.supplier_id, a.state])).toEqual([['digi', 'success']]);

    const calls = s.df.requests.filter((q) => q.path === '/transaction').map((q) => q.at);
    expect(calls).toHaveLength(10);
    // The fake stamps arrival, which trails the moment kios took its slot by however long a loaded
    // machine takes to get the request out (up to ~100 ms seen), so the checks leave room for it.
    // 10 calls at 3 per 0.5 s take slots in 4 windows: the last at least 1.5 s after the first.
    expect(calls.at(-1)! - calls[0]!).toBeGreaterThanOrEqual(1500 - 150);
    // And no 0.5 s holds more than the limit, give or take the one call that skew can shift.
    const busiest = Math.max(...calls.map((t) => calls.filter((u) => u >= t && u < t + 500).length));
    expect(busiest).toBeLessThanOrEqual(4);
    // (Without the gate all 10 arrive within a few milliseconds.)
    expect(await s.t.balance(r.id)).toBe(1_000_000 - 10 * PRODUCT.price);
    await s.t.expectLedgerConsistent();
  });
});
