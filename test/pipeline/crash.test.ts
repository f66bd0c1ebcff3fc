import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { isFinal, type OrderStatus } from '../../src/domain/order-status.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { builtKios, type BuiltKios } from '../helpers/built-kios.js';
import { DIALECTS } from '../helpers/databases.js';
import { KiosProcess, publishedSignature, purchaseCalls } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

/**
 * Crash safety of a real `kios serve` process (the compiled dist/, as operators run it): it is
 * SIGKILLed twice while dozens of orders are in flight, then restarted. The first kill is made to
 * land in the most dangerous window (purchases the supplier has taken but kios has not recorded),
 * the second one during the recovery from the first. Afterwards every order is final with the
 * outcome its user id asks for, the ledger holds, no order was sent to the supplier twice, every
 * accepted order exists, and every final order's callback was delivered at least once.
 */

const START = 10_000_000;
const PLANS: [user: string, status: OrderStatus][] = [
  ['700000001', 'SUCCESS'],
  ['700000999', 'FAILED'],
  ['700000777', 'PARTIAL_SUCCESS'],
  ['700000555', 'SUCCESS'],
  ['700000333', 'SUCCESS'],
];
const PRODUCTS = [
  { product_code: 'S1_1187', server_id: '1234' },
  { product_code: 'FF70' },
];

interface Sent {
  trxId: string;
  user: string;
  outcome: { status: number; invoice: string | null } | { error: string };
}

describe.each(DIALECTS)('crash safety of kios serve (%s)', (dialect) => {
  let kios: BuiltKios;
  let reader: Db;
  let sink: CallbackSink;
  let proc: KiosProcess;
  let apiKey: string;
  let resellerId: string;

  beforeAll(async () => {
    sink = await CallbackSink.start();
    const env = {
      SIMULATOR_LATENCY_MS: '150',
      SIMULATOR_PENDING_MS: '800',
      JOB_LEASE_MS: '1000',
      SUPPLIER_RECHECK_SCHEDULE: '0.1,0.2,0.3',
      SUPPLIER_TIMEOUT_MS: '3000',
    };
    kios = await builtKios(dialect, env, async (k) => {
      await k.catalog.import(DEMO_CATALOG);
      const created = await k.resellers.create({ name: 'Crash Reseller', email: 'crash@example.com', role: 'platinum', balance: START });
      apiKey = created.apiKey;
      resellerId = created.reseller.id;
    });
    ({ reader, proc } = kios);
  });

  afterAll(async () => {
    await kios?.close();
    await sink?.close().catch(() => undefined);
  });

  let seq = 0;
  function fire(batch: string, n: number, version: 'v1' | 'v2' = 'v1', trxIds?: string[]): Promise<Sent>[] {
    return Array.from({ length: n }, (_, i) => {
      const trxId = trxIds?.[i] ?? `${batch}-${seq++}`;
      const n2 = Number(trxId.split('-').at(-1));
      const [user] = PLANS[n2 % PLANS.length]!;
      const product = PRODUCTS[Math.floor(n2 / PLANS.length) % PRODUCTS.length]!;
      return send(version, { ...product, user_id: user, trx_id: trxId, callback_url: `${sink.url}/crash` }).then((outcome) => ({ trxId, user, outcome }));
    });
  }

  async function send(version: 'v1' | 'v2', body: Record<string, unknown>): Promise<Sent['outcome']> {
    try {
      const res = await fetch(`${proc.url}/${version}/order`, { method: 'POST', headers: { authorization: apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { data?: { invoice_number?: string } };
      return { status: res.status, invoice: json.data?.invoice_number ?? null };
    } catch (err) {
      return { error: String((err as Error).cause ?? err) };
    }
  }

  const pendingCount = async () => (await reader.kysely.selectFrom('orders').select('id').where('status', '=', 'PENDING').execute()).length;

  /**
   * Orders the supplier has (a purchase in its journal) while kios has not recorded any answer:
   * still PENDING, their attempt `sending`. The dangerous state for a crash: a careless restart
   * re-sends them. (333 orders are left out: their first purchase is meant to look unanswered.)
   */
  async function unrecorded(): Promise<string[]> {
    const calls = purchaseCalls(kios.db.dataDir);
    const rows = await reader.kysely
      .selectFrom('orders as o')
      .innerJoin('order_attempts as a', 'a.order_id', 'o.id')
      .select(['o.id', 'o.user_id', 'a.ref'])
      .where('o.status', '=', 'PENDING')
      .where('a.state', '=', 'sending')
      .execute();
    return rows.filter((o) => calls.has(o.ref) && !o.user_id.endsWith('333')).map((o) => o.id);
  }

  /**
   * Makes the database refuse to record any answer to a purchase that is `sending`, so that the
   * supplier's answers cannot be recorded: purchases pile up in the state a crash between "the
   * supplier accepted" and "kios committed" leaves behind, and the kill is sure to land in that
   * window on every dialect.
   */
  async function holdFinalStatuses(on: boolean): Promise<void> {
    const k = reader.kysely;
    if (dialect === 'sqlite') {
      await sql`drop trigger if exists kios_test_hold_final`.execute(k);
      if (on) await sql.raw(`create trigger kios_test_hold_final before update on order_attempts when old.state = 'sending' begin select raise(abort, 'held by the crash test'); end`).execute(k);
    } else {
      await sql`drop trigger if exists kios_test_hold_final on order_attempts`.execute(k);
      if (on) {
        await sql.raw(`create or replace function kios_test_hold_final() returns trigger language plpgsql as $$ begin raise exception 'held by the crash test'; end $$`).execute(k);
        await sql.raw(`create trigger kios_test_hold_final before update on order_attempts for each row when (old.state = 'sending') execute function kios_test_hold_final()`).execute(k);
      }
    }
  }

  it('orders in flight survive SIGKILL: final, consistent, never sent twice, callbacks delivered', { timeout: 240_000 }, async () => {
    const sent: Sent[] = [];

    // 1. A first batch, all accepted. Then the supplier's answers stop being recorded while a
    //    second batch arrives, and the process is killed with purchases sent but not recorded
    //    and requests of the second batch in flight.
    await proc.start();
    const a = await Promise.all(fire('a', 30));
    sent.push(...a);
    expect(a.map((x) => ('status' in x.outcome ? x.outcome.status : x.outcome.error))).toEqual(a.map(() => 201));
    await holdFinalStatuses(true);
    const b = fire('b', 25);
    await eventually(async () => {
      const n = (await unrecorded()).length;
      if (n < 8) throw new Error(`${n} purchases sent but unrecorded`);
      const taken = await reader.kysely.selectFrom('orders').select('id').where('trx_id', 'like', 'b-%').execute();
      if (taken.length === 0) throw new Error('no order of the second batch taken yet');
    }, 30_000);
    await proc.kill();
    await holdFinalStatuses(false);
    // The kill really cut work in progress, including purchases the supplier had taken.
    expect((await unrecorded()).length).toBeGreaterThanOrEqual(8);
    expect(await pendingCount()).toBeGreaterThan(0);
    sent.push(...(await Promise.all(b)));

    // 2. Restart; kill again while it recovers and takes new orders.
    await proc.start();
    const c = fire('c', 15);
    await Promise.any(c);
    await proc.kill();
    expect(await pendingCount()).toBeGreaterThan(0);
    sent.push(...(await Promise.all(c)));

    // 3. Restart for good. A reseller whose request died with the connection asks again with
    //    the same trx_id on /v2/order: it gets the order if it was taken, or a new one if not.
    await proc.start();
    const lost = sent.filter((x) => 'error' in x.outcome);
    const replays = await Promise.all(fire('replay', lost.length, 'v2', lost.map((x) => x.trxId)));
    for (const r of replays) {
      expect('status' in r.outcome && [200, 201].includes(r.outcome.status)).toBe(true);
      const original = sent.find((x) => x.trxId === r.trxId)!;
      original.outcome = r.outcome;
    }

    await eventually(
      async () => {
        const n = await pendingCount();
        if (n > 0) throw new Error(`${n} orders still PENDING\n${proc.output.slice(-20).join('')}`);
      },
      90_000,
      100,
    );

    const k = reader.kysely;
    const orders = await k.selectFrom('orders').selectAll().where('reseller_id', '=', resellerId).execute();
    const byTrx = new Map(orders.map((o) => [o.trx_id, o]));
    expect(orders.length).toBe(byTrx.size);

    // Every accepted order exists, under its trx_id, and every request ended with exactly one order.
    expect(sent).toHaveLength(70);
    for (const s of sent) {
      expect('status' in s.outcome, `${s.trxId}: ${JSON.stringify(s.outcome)}`).toBe(true);
      const o = byTrx.get(s.trxId);
      expect(o, s.trxId).toBeDefined();
      if ('status' in s.outcome) {
        expect([200, 201], `${s.trxId}: HTTP ${s.outcome.status}`).toContain(s.outcome.status);
        expect(s.outcome.invoice).toBe(o!.invoice_number);
      }
    }
    expect(orders).toHaveLength(70);

    // Every order is final, with the outcome its user id asks for (nothing failed by the crash).
    for (const o of orders) {
      expect(isFinal(o.status as OrderStatus), `${o.invoice_number} is ${o.status}`).toBe(true);
      expect({ user: o.user_id, status: o.status }).toEqual({ user: o.user_id, status: PLANS.find(([u]) => u === o.user_id)![1] });
    }

    // Money: the invariant, and the balance the outcomes imply.
    expect(await verifyLedger(k)).toEqual([]);
    const reseller = await k.selectFrom('resellers').select('balance').where('id', '=', resellerId).executeTakeFirstOrThrow();
    expect(reseller.balance).toBe(START - orders.reduce((sum, o) => sum + o.amount - o.refunded_amount, 0));

    // No order was sent to the supplier twice, and the supplier saw no order kios does not have:
    // one attempt per order (one route each), its purchase received once.
    const calls = purchaseCalls(kios.db.dataDir);
    const ids = new Set(orders.map((o) => o.id));
    const attempts = await k.selectFrom('order_attempts').select(['order_id', 'n', 'ref']).execute();
    expect(attempts).toHaveLength(orders.length);
    for (const a of attempts) expect(a).toEqual({ order_id: a.order_id, n: 1, ref: `${a.order_id}-1` });
    const refs = new Set(attempts.filter((a) => ids.has(a.order_id)).map((a) => a.ref));
    for (const [ref, n] of calls) {
      expect(refs.has(ref), `journal has unknown reference ${ref}`).toBe(true);
      expect({ ref, n }).toEqual({ ref, n: 1 });
    }
    expect(calls.size).toBe(orders.length);

    // One fulfilment job per order, one status change per order (never back to PENDING).
    // (A job is marked done just after the transaction that made its order final.)
    const fulfil = await eventually(async () => {
      const jobs = await k.selectFrom('jobs').select(['order_id', 'status']).where('kind', '=', 'fulfil').execute();
      if (jobs.some((j) => j.status === 'queued')) throw new Error('a fulfil job is still queued');
      return jobs;
    });
    expect(fulfil).toHaveLength(orders.length);
    expect(new Set(fulfil.map((j) => j.order_id))).toEqual(ids);
    expect(fulfil.every((j) => j.status === 'done')).toBe(true);
    const changes = await k.selectFrom('order_events').select(['order_id', 'data']).where('type', '=', 'status').execute();
    expect(changes).toHaveLength(orders.length);
    for (const c of changes) expect(JSON.parse(c.data!).from).toBe('PENDING');

    // Every final order's callback arrived at least once, signed, with the final status.
    await eventually(
      () => {
        const seen = new Map<string, string>();
        for (const req of sink.received) {
          const data = JSON.parse(req.body) as { invoice_number: string; status: string };
          expect(req.headers['x-signature']).toBe(publishedSignature(data, apiKey));
          seen.set(data.invoice_number, data.status);
        }
        for (const o of orders) expect(seen.get(o.invoice_number), o.invoice_number).toBe(o.status);
      },
      60_000,
      100,
    );
  });
});
