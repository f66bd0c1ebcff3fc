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

    // kios's side, exactly: an attempt starts when it takes its slot, so no 0.5 s holds more
    // than 3 starts (any 4 consecutive span the window).
    const starts = (await Promise.all(placed.map(async (p) => (await s.attempts(p.id))[0]!.started_at))).sort((a, b) => a - b);
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(500);
    // The supplier's side: it received each purchase once, and (arrival trailing the slot by
    // however long a loaded machine takes to deliver it) over at least 3 windows' time, where
    // without the gate all 10 arrive within a few milliseconds.
    const calls = s.df.requests.filter((q) => q.path === '/transaction').map((q) => q.at);
    expect(calls).toHaveLength(10);
    expect(calls.at(-1)! - calls[0]!).toBeGreaterThanOrEqual(1000);
    expect(await s.t.balance(r.id)).toBe(1_000_000 - 10 * PRODUCT.price);
    await s.t.expectLedgerConsistent();
  });
});
