import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import type { Order } from '../src/db/schema.js';
import { DEMO_CATALOG } from '../src/demo/demo-catalog.js';
import { serve, type Role } from '../src/serve.js';
import { kiosEnv, type BenchDatabase } from './databases.js';
import { load, receiver, type Load, type RequestPlan } from './load.js';

/**
 * The reseller API as resellers use it, on one kios process: intake with the worker running in
 * the same process (as `npm start` runs it) from one hot reseller and from 100, the Otomax v3
 * order line, the reads resellers poll, callbacks delivered to a loopback receiver, and intake
 * with a history of orders already in the database. Every figure comes with p50/p99.
 */

export const CONNECTIONS = 50;
const PRODUCT = 'FF70';

export interface ApiFigures {
  /** Hot reseller, worker running in the same process. */
  intakeHot: Load;
  /** Orders final per second over the same run (from its start to the last order final). */
  finalDuringIntake: number;
  /** Callbacks delivered per second over the same run. */
  callbacks: number;
  /** 100 resellers, round robin, worker running. */
  intakeSpread: Load;
  otomax: Load;
  user: Load;
  products: Load;
  status: Load;
}

async function started(db: BenchDatabase, role: Role) {
  const running = await serve(loadConfig(kiosEnv(db)), role);
  await running.kios.catalog.import(DEMO_CATALOG);
  return running;
}

/**
 * Polls `check` every 20 ms. The bench shares the machine (on SQLite, the thread) with the kios it
 * measures, so a poll must be cheap: counting every final order at 5-ms intervals took CPU from
 * the worker it waited for (PostgreSQL, orders final/s over an intake run: 479, 524 -> 561, 585).
 */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

export async function apiFigures(db: BenchDatabase, orders: number, seconds: number): Promise<ApiFigures> {
  const running = await started(db, 'all');
  try {
    const { kios } = running;
    const origins = [running.url!];
    const k = kios.db.kysely;
    const hot = await kios.resellers.create({ name: 'Hot', email: 'hot@example.com', role: 'platinum', balance: 1_000_000_000_000 });
    await k.updateTable('resellers').set({ webhook_url: await receiver.url() }).where('id', '=', hot.reseller.id).execute();
    const spread: string[] = [];
    for (let i = 0; i < 100; i++) spread.push((await kios.resellers.create({ name: `R${i}`, email: `r${i}@example.com`, role: 'platinum', balance: 1_000_000_000_000 })).apiKey);

    // Every order placed is final once none is PENDING: the status index counts just those.
    const allFinal = async () => Number((await k.selectFrom('orders').select((e) => e.fn.countAll<number | string>().as('n')).where('status', '=', 'PENDING').executeTakeFirstOrThrow()).n) === 0;

    // A warm-up the figures leave out: the first orders of a fresh process run cold code (the JIT
    // compiles as it goes), which would charge a start-up cost to the steady rate measured.
    const warm = await kios.resellers.create({ name: 'Warm-up', email: 'warm@example.com', role: 'platinum', balance: 1_000_000_000_000 });
    await k.updateTable('resellers').set({ webhook_url: await receiver.url() }).where('id', '=', warm.reseller.id).execute();
    const warmUp = Math.min(orders, 1_000);
    const before = await receiver.count();
    await load(CONNECTIONS, { count: warmUp }, orderPlan(origins, [warm.apiKey], 'warm'));
    await until(async () => (await allFinal()) && (await receiver.count()) - before >= warmUp);

    const delivered = await receiver.count();
    const t0 = performance.now();
    const intakeHot = await load(CONNECTIONS, { count: orders }, orderPlan(origins, [hot.apiKey], 'hot'));
    await until(allFinal);
    const finalDuringIntake = orders / ((performance.now() - t0) / 1000);
    await until(async () => (await receiver.count()) - delivered >= orders);
    const callbacks = orders / ((performance.now() - t0) / 1000);

    const intakeSpread = await load(CONNECTIONS, { count: orders }, orderPlan(origins, spread, 'spread'));
    const otomax = await load(CONNECTIONS, { count: orders }, {
      origins,
      method: 'GET',
      path: `/v3/otomax/order?apikey={ekey}&product_code=${PRODUCT}&user_id=8{n}1&trx_id=oto-{n}`,
      keys: [hot.apiKey],
      status: 200,
      contains: 'status',
    });

    // Reads are measured on an idle worker: what they cost, not what the backlog costs them
    // (the hot reseller's Otomax orders are still being fulfilled and called back until then).
    await until(allFinal);
    await until(async () => Number((await k.selectFrom('jobs').select((e) => e.fn.countAll<number | string>().as('n')).where('status', '=', 'queued').executeTakeFirstOrThrow()).n) === 0);
    const some = (await k.selectFrom('orders').select('invoice_number').where('reseller_id', '=', hot.reseller.id).limit(1).executeTakeFirstOrThrow()) as Pick<Order, 'invoice_number'>;
    const get = (path: string): RequestPlan => ({ origins, method: 'GET', path, headers: { authorization: hot.apiKey }, status: 200 });
    const ms = seconds * 1000;
    const user = await load(CONNECTIONS, { ms }, get('/v1/user'));
    const products = await load(CONNECTIONS, { ms }, get('/v1/products'));
    const status = await load(CONNECTIONS, { ms }, get(`/v1/status/${some.invoice_number}`));
    return { intakeHot, finalDuringIntake, callbacks, intakeSpread, otomax, user, products, status };
  } finally {
    await running.stop();
  }
}

/**
 * Intake (api role, worker stopped) with `history` orders already in the database: the indexes
 * an order touches grow with the history, and intake must not slow down with them.
 */
export async function intakeWithHistory(db: BenchDatabase, histories: number[], orders: number): Promise<{ history: number; intake: Load }[]> {
  const running = await started(db, 'api');
  const out: { history: number; intake: Load }[] = [];
  try {
    const { kios } = running;
    const k = kios.db.kysely;
    const r = await kios.resellers.create({ name: 'History', email: 'history@example.com', role: 'platinum', balance: 1_000_000_000_000 });
    const product = await k.selectFrom('products as p').innerJoin('categories as c', 'c.id', 'p.category_id').select(['p.id', 'p.name', 'c.code', 'c.title', 'c.type']).where('p.code', '=', PRODUCT).executeTakeFirstOrThrow();
    // A warm-up first (see apiFigures), counted in the history it leaves.
    const warmUp = Math.min(orders, 1_000);
    await load(CONNECTIONS, { count: warmUp }, orderPlan([running.url!], [r.apiKey], 'warm'));
    let have = warmUp;
    let placed = 0;
    for (const target of [...histories].sort((a, b) => a - b)) {
      // Past orders, written straight to the table in large batches (final, as old orders are).
      for (; have < target; ) {
        const batch = Math.min(1_000, target - have);
        const now = Date.now() - 86_400_000;
        await k
          .insertInto('orders')
          .values(
            Array.from({ length: batch }, (_, j) => {
              const n = have + j;
              return {
                id: `ord_hist_${n}`,
                reseller_id: r.reseller.id,
                invoice_number: `HIST_${product.code}_${n}`,
                trx_id: `hist-${n}`,
                channel: 'api' as const,
                product_id: product.id,
                product_code: PRODUCT,
                product_name: product.name,
                category_code: product.code,
                category_title: product.title,
                category_subtitle: null,
                category_type: product.type,
                user_id: '700000001',
                server_id: null,
                inputs: null,
                nickname: null,
                price: 9405,
                amount: 9405,
                status: 'SUCCESS',
                ref: `REF_${n}`,
                response_note: 'history',
                sn: null,
                voucher: null,
                failure_reason: null,
                refunded_amount: 0,
                callback_url: null,
                created_at: now + n,
                updated_at: now + n,
                completed_at: now + n,
              };
            }),
          )
          .execute();
        have += batch;
      }
      // A database that grew to this size over months was vacuumed and analysed along the way;
      // right after a bulk insert of this size, autovacuum would do that work during the
      // measurement (it moved the 1M figure on PostgreSQL between 0.64× and 0.99× in runs of the same code).
      if (db.dialect === 'postgres') await sql`vacuum analyze orders`.execute(k);
      const intake = await load(CONNECTIONS, { count: orders }, orderPlan([running.url!], [r.apiKey], 'new', placed));
      placed += orders;
      out.push({ history: target, intake });
    }
    return out;
  } finally {
    await running.stop();
  }
}

/** `POST /v2/order` of the demo's FF70 to a destination the simulator delivers at once (ending in 1), one trx_id each. */
export function orderPlan(origins: string[], keys: string[], trxPrefix: string, from = 0): RequestPlan {
  return {
    origins,
    method: 'POST',
    path: '/v2/order',
    headers: { authorization: '{key}', 'content-type': 'application/json' },
    body: JSON.stringify({ product_code: PRODUCT, user_id: '7{n}1', trx_id: `${trxPrefix}-{n}` }),
    keys,
    from,
    status: 201,
  };
}
