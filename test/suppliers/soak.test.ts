import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type OrderStatus } from '../../src/domain/order-status.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { DIALECTS } from '../helpers/databases.js';
import type { Reseller } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';
import { planFor, seeded } from '../fakes/fake-supplier.js';
import { TwoSuppliers } from './support.js';

/**
 * 1,000 orders across two suppliers that misbehave at random (seeded, so a failure replays):
 * 10% of requests never answered (half of them executed first), 5% answered 5xx (half executed
 * first), 5% of new purchases refused, 20% of callbacks duplicated or followed by a stale one.
 * Destinations pick outcomes too: delivered, pending then delivered, pending then failed,
 * refused, invalid. Afterwards every order is final, the ledger holds, no order was delivered
 * twice (the fakes' books), and every balance is what the final statuses say.
 */
const ORDERS = 1000;
const RESELLERS = 5;
const START = 20_000_000;

describe.each(DIALECTS)('soak: 1,000 orders, two faulty suppliers (%s)', (dialect) => {
  let s: TwoSuppliers;
  const resellers: Reseller[] = [];

  beforeAll(async () => {
    s = await TwoSuppliers.start(
      dialect,
      { SUPPLIER_TIMEOUT_MS: '300', SUPPLIER_RECHECK_SCHEDULE: '0.2,0.3,0.5', WORKER_CONCURRENCY: '32', RATE_LIMIT_MAX: '1000000', CALLBACK_RETRY_SCHEDULE: '0' },
      // The fakes' catalogs are flat: one price under both products' prices, so Digiflazz's price cap passes.
      { faults: { timeout: 0.1, error5xx: 0.05, refuse: 0.05, duplicateCallback: 0.2, hangMs: 500 }, pendingMs: 400, price: 1_400 },
    );
    s.kg.plan = planFor;
    // Digiflazz sees one customer number, the user id followed by the server id.
    s.df.plan = (customerNo) => planFor(customerNo.replace(/2468$/, ''));
    // S4_ML86 tries the Kiosgame platform first; S1_1187 tries Digiflazz first.
    await s.t.kios.routes.remove('S1_1187', 'simulator');
    await s.t.kios.routes.add('S1_1187', 'digi', 'ML5', { cost: 1450 });
    await s.t.kios.routes.add('S1_1187', 'tossgames', 'S1_1187', { cost: 1460 });
    for (let i = 0; i < RESELLERS; i++) resellers.push(await s.t.reseller({ balance: START }));
  });
  afterAll(async () => s?.close());

  it('every order ends final and paid for exactly once; nothing is delivered twice', { timeout: 150_000 }, async () => {
    const random = seeded(dialect === 'sqlite' ? 11 : 12);
    const endings = ['1', '2', '3', '4', '5', '6', '7', '555', '554', '999', '404'];
    let next = 0;
    const placed: string[] = [];
    const endingOf = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ORDERS) {
          const n = next++;
          const reseller = resellers[n % RESELLERS]!;
          const ending = endings[Math.floor(random() * endings.length)]!;
          endingOf.set(`soak-${n}`, ending);
          const res = await s.t.order(reseller.apiKey, {
            product_code: n % 2 === 0 ? 'S4_ML86' : 'S1_1187',
            user_id: `8${String(n).padStart(6, '0')}${ending}`,
            server_id: '2468',
            trx_id: `soak-${n}`,
          });
          expect(res.status, res.text).toBe(201);
          placed.push(res.json.data.invoice_number as string);
        }
      }),
    );
    expect(placed).toHaveLength(ORDERS);

    const k = s.t.kios.db.kysely;
    await eventually(
      async () => {
        const pending = await k.selectFrom('orders').select('id').where('status', '=', 'PENDING').execute();
        if (pending.length > 0) {
          // What a stuck order looks like, so a failure explains itself.
          const sample = pending.slice(0, 3).map((p) => p.id);
          const att = await k.selectFrom('order_attempts').select(['order_id', 'n', 'supplier_id', 'state', 'reason', 'checks']).where('order_id', 'in', sample).execute();
          const jobs = await k.selectFrom('jobs').selectAll().where('order_id', 'in', sample).execute();
          throw new Error(`${pending.length} orders still PENDING ${JSON.stringify({ att, jobs }, null, 1)}`);
        }
      },
      90_000,
      200,
    );

    const orders = await k.selectFrom('orders').selectAll().where('trx_id', 'like', 'soak-%').execute();
    expect(orders).toHaveLength(ORDERS);
    for (const o of orders) expect(isFinal(o.status as OrderStatus), `${o.invoice_number} ${o.status}`).toBe(true);

    // Money.
    expect(await verifyLedger(k)).toEqual([]);
    for (const r of resellers) {
      const mine = orders.filter((o) => o.reseller_id === r.id);
      expect(await s.t.balance(r.id)).toBe(START - mine.reduce((sum, o) => sum + o.amount - o.refunded_amount, 0));
    }

    // Delivery: by the suppliers' own books, a SUCCESS order was delivered exactly once, under one
    // of its references, and any other order never.
    const delivered = new Map<string, number>();
    for (const t of [...s.kg.delivered(), ...s.df.delivered()]) {
      const orderId = t.ref.replace(/-\d+$/, '');
      delivered.set(orderId, (delivered.get(orderId) ?? 0) + 1);
    }
    for (const o of orders) expect({ order: o.invoice_number, status: o.status, delivered: delivered.get(o.id) ?? 0 }).toEqual({ order: o.invoice_number, status: o.status, delivered: o.status === 'SUCCESS' ? 1 : 0 });
    // Every reference a supplier booked is one of kios's attempts, at that supplier.
    const attempts = await k.selectFrom('order_attempts').select(['supplier_id', 'ref', 'state']).execute();
    const key = (supplier: string, ref: string) => `${supplier} ${ref}`;
    const known = new Set(attempts.map((a) => key(a.supplier_id, a.ref)));
    for (const t of s.kg.txns.values()) expect(known.has(key('tossgames', t.ref)), t.ref).toBe(true);
    for (const t of s.df.txns.values()) expect(known.has(key('digi', t.ref)), t.ref).toBe(true);

    // The faults really happened, and the outcomes are the destinations' (spot checks).
    expect(s.kg.callbacksSent.filter((c) => c.state === 'pending').length + s.df.callbacksSent.filter((c) => c.state === 'pending').length).toBeGreaterThan(10);
    const byEnding = (e: string) => orders.filter((o) => endingOf.get(o.trx_id!) === e);
    for (const o of byEnding('404')) expect(o.status).toBe('FAILED');
    for (const o of byEnding('999')) expect(o.status).toBe('FAILED');
    expect(byEnding('555').every((o) => o.status === 'SUCCESS' || o.status === 'FAILED')).toBe(true);
    expect(orders.filter((o) => o.status === 'SUCCESS').length).toBeGreaterThan(ORDERS / 2);
    const retried = attempts.filter((a) => a.state === 'failed').length;
    expect(retried).toBeGreaterThan(0);
  });
});
