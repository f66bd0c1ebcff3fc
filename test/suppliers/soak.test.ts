import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type OrderStatus } from '../../src/domain/order-status.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { DIALECTS } from '../helpers/databases.js';
import type { Reseller } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';
import { planFor, seeded, type Faults } from '../fakes/fake-supplier.js';
import { FourSuppliers, SUPPLIERS, type SupplierName } from './four-suppliers.js';

/**
 * 1,000 orders across all four supplier kinds (Kiosgame-style, Digiflazz, VCGamers, APIGames;
 * see four-suppliers.ts), four products each with a different first route and its second route
 * on another kind, every supplier misbehaving at random (seeded, so a failure replays): 10% of
 * requests never answered (half of them executed first), 5% answered 5xx (half executed first),
 * 5% of new purchases refused, 20% of callbacks duplicated or followed by a stale one.
 * Destinations pick outcomes too: delivered, pending then delivered, pending then failed,
 * refused, invalid. Afterwards every order is final, the ledger holds, no order was delivered
 * twice (all four fakes' books together), no supplier booked a reference kios does not know,
 * and every balance is what the final statuses say.
 *
 * APIGames documents only "Gagal" as a failure: kios keeps any other refusal pending (and alerts
 * the operator) rather than guess, so a refusal there would leave an order for a person. Its
 * fake therefore refuses the APIGames way, by booking the purchase and failing it ("Gagal"), at
 * the same 5% and for `...999`. Its `...777` (Sukses Sebagian) and `...666` (Validasi Provider)
 * also wait for a person: destinations put a 0 before their ending so none ends that way.
 */
const ORDERS = 1000;
const RESELLERS = 5;
const START = 20_000_000;
const FAULTS: Faults = { timeout: 0.1, error5xx: 0.05, refuse: 0.05, duplicateCallback: 0.2, hangMs: 500 };

describe.each(DIALECTS)('soak: 1,000 orders, four faulty suppliers (%s)', (dialect) => {
  let s: FourSuppliers;
  const resellers: Reseller[] = [];
  const base = dialect === 'sqlite' ? 10 : 20;

  beforeAll(async () => {
    s = await FourSuppliers.start(
      dialect,
      { SUPPLIER_TIMEOUT_MS: '300', SUPPLIER_RECHECK_SCHEDULE: '0.2,0.3,0.5', WORKER_CONCURRENCY: '32', RATE_LIMIT_MAX: '1000000', CALLBACK_RETRY_SCHEDULE: '0' },
      {
        // The fakes' catalogs are flat: one price under every route's cost, so Digiflazz's and VCGamers's price caps pass.
        fakes: { faults: FAULTS, pendingMs: 400, price: 1_400 },
        seeds: { tossgames: base + 1, digi: base + 2, vcg: base + 3, apig: base + 4 },
        // Both ways of taking an APIGames webhook: SQLite asks the status endpoint, PostgreSQL trusts the body.
        apigamesWebhook: dialect === 'sqlite' ? 'check' : 'trust',
      },
    );
    // APIGames refuses by "Gagal" (see above).
    s.ag.faults = { ...FAULTS, refuse: 0 };
    const refusing = seeded(base + 5);
    s.ag.plan = (destination) => {
      const plan = planFor(destination);
      if (plan === 'refuse') return 'invalid';
      return refusing() < (FAULTS.refuse ?? 0) ? 'invalid' : plan;
    };
    for (let i = 0; i < RESELLERS; i++) resellers.push(await s.t.reseller({ balance: START }));
  });
  afterAll(async () => s?.close());

  it('every order ends final and paid for exactly once; nothing is delivered twice', { timeout: 150_000 }, async () => {
    const random = seeded(base);
    const endings = ['1', '2', '3', '4', '5', '6', '7', '555', '554', '999', '404'];
    let next = 0;
    const placed: string[] = [];
    const endingOf = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ORDERS) {
          const n = next++;
          const reseller = resellers[n % RESELLERS]!;
          const product = s.products[n % s.products.length]!;
          const ending = endings[Math.floor(random() * endings.length)]!;
          endingOf.set(`soak-${n}`, ending);
          const res = await s.t.order(reseller.apiKey, {
            product_code: product.code,
            user_id: `8${String(n).padStart(6, '0')}0${ending}`,
            ...(product.server ? { server_id: '2468' } : {}),
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

    // Delivery: by the four suppliers' own books together, a SUCCESS order was delivered exactly
    // once, under one of its references, and any other order never.
    const fakes = Object.entries(s.fakes) as [SupplierName, (typeof s.fakes)[SupplierName]][];
    const delivered = new Map<string, string[]>();
    for (const [name, f] of fakes) {
      for (const t of f.delivered()) {
        const orderId = t.ref.replace(/-\d+$/, '');
        delivered.set(orderId, [...(delivered.get(orderId) ?? []), `${name} ${t.ref}`]);
      }
    }
    for (const o of orders) {
      expect({ order: o.invoice_number, status: o.status, delivered: delivered.get(o.id)?.length ?? 0 }).toEqual({ order: o.invoice_number, status: o.status, delivered: o.status === 'SUCCESS' ? 1 : 0 });
    }
    // ... and by the attempt kios holds as delivered: the same supplier, the same reference.
    const attempts = await k.selectFrom('order_attempts').select(['order_id', 'n', 'supplier_id', 'ref', 'state']).execute();
    const successes = new Map(attempts.filter((a) => a.state === 'success').map((a) => [a.order_id, `${a.supplier_id} ${a.ref}`]));
    for (const o of orders.filter((x) => x.status === 'SUCCESS')) expect(delivered.get(o.id), o.invoice_number).toEqual([successes.get(o.id)]);

    // Every reference a supplier booked is one of kios's attempts, at that supplier.
    const key = (supplier: string, ref: string) => `${supplier} ${ref}`;
    const known = new Set(attempts.map((a) => key(a.supplier_id, a.ref)));
    for (const [name, f] of fakes) for (const t of f.txns.values()) expect(known.has(key(name, t.ref)), `${name} ${t.ref}`).toBe(true);
    // No supplier still holds a purchase: kios moved on from an attempt only on its explicit end.
    for (const [name, f] of fakes) expect([...f.txns.values()].filter((t) => t.state === 'pending').map((t) => t.ref), name).toEqual([]);
    // Kiosgame and APIGames have a status endpoint (APIGames forbids asking the purchase endpoint
    // for a status), so their purchase requests are exactly kios's purchases: a reference is sent
    // again only after the supplier said it did not know it (a first request held up in flight
    // may then arrive second; it books nothing), and the supplier received no purchase kios did
    // not record.
    const events = await k.selectFrom('order_events').select(['type', 'data']).where('type', 'in', ['supplier_purchase', 'supplier_status']).orderBy('seq').execute();
    type Said = { type: string; supplier?: string; ref?: string; kind?: string; ambiguous?: boolean; exchanges?: { url: string; response?: string }[] };
    const said: Said[] = events.map((e) => ({ type: e.type, ...(JSON.parse(e.data ?? '{}') as Omit<Said, 'type'>) }));
    const purchases = new Map<string, Said[]>();
    for (const d of said) if (d.type === 'supplier_purchase') purchases.set(key(d.supplier!, d.ref!), [...(purchases.get(key(d.supplier!, d.ref!)) ?? []), d]);
    const notFound = { tossgames: { path: '/v1/status/', said: 'INVOICE_NOT_FOUND' }, apig: { path: '/v2/transaksi/status', said: 'Transaksi tidak ditemukan' } };
    for (const name of ['tossgames', 'apig'] as const) {
      for (const [ref, requests] of s.fakes[name].purchaseRequests()) {
        const sent = purchases.get(key(name, ref)) ?? [];
        expect(requests, `${name} ${ref}: purchases received vs sent`).toBeLessThanOrEqual(sent.length);
        for (const again of sent.slice(1)) {
          const asked = (again.exchanges ?? []).some((x) => x.url.includes(notFound[name].path) && (x.response ?? '').includes(notFound[name].said));
          expect(asked, `${name} ${ref} re-sent without a "not found" ${JSON.stringify(again)}`).toBe(true);
        }
      }
    }

    // All four connectors did the work: each delivered, each refused or failed some attempts
    // (so failover left every kind), and each took over orders from another kind.
    const bySupplier = (name: SupplierName) => attempts.filter((a) => a.supplier_id === name);
    for (const name of Object.values(SUPPLIERS)) {
      expect(s.fakes[name].delivered().length, name).toBeGreaterThan(ORDERS / 20);
      expect(bySupplier(name).filter((a) => a.state === 'failed').length, name).toBeGreaterThan(0);
      expect(bySupplier(name).filter((a) => a.n === 2).length, name).toBeGreaterThan(0);
    }
    expect(attempts.filter((a) => a.n === 2 && a.state === 'success').length).toBeGreaterThan(0);
    // No supplier ever contradicted what kios had decided (a stale "pending" is a repeat, not a contradiction).
    const conflicts = await k.selectFrom('order_events').select(['order_id', 'data']).where('type', '=', 'supplier_conflict').execute();
    expect(conflicts).toEqual([]);

    // The faults really happened, at every supplier: answers lost or unreadable (kios recorded an
    // ambiguous answer), and callbacks repeated or followed by a stale "pending".
    const ambiguous = new Map<string, number>();
    for (const d of said) if (d.kind === 'pending' && d.ambiguous === true && d.supplier) ambiguous.set(d.supplier, (ambiguous.get(d.supplier) ?? 0) + 1);
    for (const [name, f] of fakes) {
      expect(ambiguous.get(name) ?? 0, `ambiguous answers from ${name}`).toBeGreaterThan(5);
      const sent = new Map<string, number>();
      for (const c of f.callbacksSent) sent.set(c.ref, (sent.get(c.ref) ?? 0) + 1);
      expect([...sent.values()].filter((v) => v > 1).length, `repeated callbacks from ${name}`).toBeGreaterThan(5);
    }

    // The outcomes are the destinations' (spot checks).
    const byEnding = (e: string) => orders.filter((o) => endingOf.get(o.trx_id!) === e);
    for (const o of byEnding('404')) expect(o.status).toBe('FAILED');
    for (const o of byEnding('999')) expect(o.status).toBe('FAILED');
    expect(byEnding('555').every((o) => o.status === 'SUCCESS' || o.status === 'FAILED')).toBe(true);
    expect(orders.filter((o) => o.status === 'SUCCESS').length).toBeGreaterThan(ORDERS / 2);
  });
});
