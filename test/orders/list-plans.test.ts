import pino from 'pino';
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKios, type Kios } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Order } from '../../src/db/schema.js';
import { ORDER_STATUSES } from '../../src/domain/order-status.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { OrderAdmin } from '../../src/orders/admin.js';
import { OperatorError } from '../../src/resellers/service.js';
import { insertChunked, orderRow } from '../helpers/bulk-orders.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TEST_ENV } from '../helpers/kios.js';
import { expectIndexed, planOf, recording } from '../helpers/plans.js';

/**
 * The operator's order lists and the job claim stay index-backed as rows accumulate: the plans
 * of the queries the code really runs (recorded as it runs them) read an index, in list order,
 * with no full scan and no sort. 20k orders and 20k done jobs are enough for both planners to
 * prefer an index only when it serves the query; the plans, not timings, are what is checked.
 */
const ORDERS = 20_000;
const RESELLERS = 20;
const BASE = Date.UTC(2025, 0, 1);
const PAGE = 300;

describe.each(DIALECTS)('order lists and the job claim at scale (%s)', (dialect) => {
  let db: TestDatabase;
  let k: Kios;
  let resellerIds: string[];
  let orders: Order[];

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    k = await createKios(loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir }), { log: pino({ level: 'silent' }) });
    resellerIds = [];
    for (let r = 0; r < RESELLERS; r++) {
      resellerIds.push((await k.resellers.create({ name: `Toko ${r}`, email: `plans-${r}@example.com`, role: 'platinum', balance: 0 })).reseller.id);
    }
    // Seven orders per millisecond, their ids shuffled against insertion, so page boundaries fall
    // inside runs of equal created_at and only the id decides the order there.
    orders = Array.from({ length: ORDERS }, (_, i) =>
      orderRow({
        id: `ord_${String((i * 7919) % ORDERS).padStart(10, '0')}`,
        reseller_id: resellerIds[i % RESELLERS]!,
        status: ORDER_STATUSES[i % ORDER_STATUSES.length]!,
        created_at: BASE + Math.floor(i / 7),
      }),
    );
    const now = BASE + ORDERS;
    await k.db.transaction(async (trx) => {
      await insertChunked(trx, 'orders', orders);
      await insertChunked(
        trx,
        'order_events',
        orders.map((o) => ({ order_id: o.id, at: o.created_at, type: 'created', data: null })),
      );
      const job = (id: string, orderId: string, status: 'done' | 'queued', runAt: number) => ({
        id,
        kind: 'fulfil',
        order_id: orderId,
        dedupe_key: `fulfil:${orderId}`,
        payload: '{}',
        status,
        attempts: status === 'done' ? 1 : 0,
        run_at: runAt,
        locked_by: null,
        locked_until: null,
        last_error: null,
        wakeups: 0,
        created_at: runAt,
        updated_at: runAt,
      });
      // A long-running queue: every order's job done but the last few, which are due.
      await insertChunked(
        trx,
        'jobs',
        orders.map((o, i) => job(`job_${o.id}`, o.id, i < ORDERS - 5 ? 'done' : 'queued', o.created_at)),
      );
    });
    await k.db.kysely.executeQuery(CompiledQuery.raw('analyze'));
  });
  afterAll(async () => {
    await k?.close();
    await db?.drop();
  });

  const newestFirst = (a: Order, b: Order) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  const lists: [string, (o: Order) => boolean, () => { resellerId?: string; status?: string }, string][] = [
    ['all orders', () => true, () => ({}), 'orders_created_idx'],
    ['one reseller', (o) => o.reseller_id === resellerIds[3], () => ({ resellerId: resellerIds[3] }), 'orders_reseller_created_id_idx'],
    ['one status', (o) => o.status === 'PENDING', () => ({ status: 'PENDING' }), 'orders_status_created_id_idx'],
  ];

  it.each(lists)('pages through %s: every order once, newest first, each page read off the index', async (_, match, filter, index) => {
    const rec = recording(k.db);
    const admin = new OrderAdmin({ db: rec.db, transitions: k.transitions });
    const seen: Order[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.list({ ...filter(), limit: PAGE, cursor });
      expect(page.orders.length).toBeLessThanOrEqual(PAGE);
      seen.push(...page.orders);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);

    const expected = orders.filter(match).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(PAGE * 2);
    expect(seen.map((o) => o.id)).toEqual(expected.map((o) => o.id));
    expect(pages).toBe(Math.ceil(expected.length / PAGE));

    // The first page (no cursor) and a later one (cursor range) each have their own plan.
    const [first, later] = [rec.queries[0]!, rec.queries[1]!];
    expect(later.sql).not.toBe(first.sql);
    expectIndexed(dialect, await planOf(k.db, first), 'orders', index);
    expectIndexed(dialect, await planOf(k.db, later), 'orders', index);
  });

  it('a last page that is exactly full says there is no next page', async () => {
    const mine = orders.filter((o) => o.reseller_id === resellerIds[0]).sort(newestFirst);
    const page = await k.orderAdmin.list({ resellerId: resellerIds[0], limit: mine.length });
    expect(page.orders.map((o) => o.id)).toEqual(mine.map((o) => o.id));
    expect(page.nextCursor).toBeNull();
    const short = await k.orderAdmin.list({ resellerId: resellerIds[0], limit: mine.length - 1 });
    const rest = await k.orderAdmin.list({ resellerId: resellerIds[0], limit: mine.length, cursor: short.nextCursor! });
    expect(rest.orders.map((o) => o.id)).toEqual([mine.at(-1)!.id]);
    expect(rest.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not give out, rather than starting somewhere else', async () => {
    const { nextCursor } = await k.orderAdmin.list({ limit: 1 });
    expect(nextCursor).toBeTruthy();
    const bad = [
      'nonsense',
      '',
      `${nextCursor}x`,
      `${nextCursor!.slice(0, 4)}!${nextCursor!.slice(4)}`,
      Buffer.from('yesterday:ord_1').toString('base64url'),
      Buffer.from(`${BASE}:`).toString('base64url'),
      Buffer.from(`99999999999999999:ord_1`).toString('base64url'),
    ];
    for (const cursor of bad) {
      await expect(k.orderAdmin.list({ cursor }), cursor).rejects.toThrow(OperatorError);
      await expect(k.orderAdmin.list({ cursor }), cursor).rejects.toThrow(/not a cursor from an order list/);
    }
  });

  it('claims due jobs through the queued-jobs index, however many done jobs there are', async () => {
    const rec = recording(k.db);
    const queue = new JobQueue(rec.db);
    const claimed = await queue.claim('plans-worker', 10, BASE + ORDERS, 60_000);
    expect(claimed.map((j) => j.order_id).sort()).toEqual(orders.slice(-5).map((o) => o.id).sort());
    expect(await queue.nextRunAt()).toBe(Math.min(...orders.slice(-5).map((o) => o.created_at)));
    const [claim, next] = rec.queries;
    expect(claim!.sql).toMatch(/^\s*update jobs/);
    for (const q of [claim!, next!]) {
      const plan = await planOf(k.db, q);
      const text = plan.join('\n');
      if (dialect === 'sqlite') {
        expect(text).toMatch(/(SEARCH|SCAN) jobs USING (COVERING )?INDEX jobs_queued_run_at_idx/);
        expect(text).not.toMatch(/SCAN jobs$/m);
      } else {
        expect(text).toMatch(/Index (Only )?Scan jobs using jobs_queued_run_at_idx/);
        expect(text).not.toMatch(/Seq Scan jobs/);
      }
    }
  });

  it("reads an order's events through its index, however many other events there are", async () => {
    const rec = recording(k.db);
    const admin = new OrderAdmin({ db: rec.db, transitions: k.transitions });
    const events = await admin.events(orders[123]!.id);
    expect(events.map((e) => e.type)).toEqual(['created']);
    const text = (await planOf(k.db, rec.queries[0]!)).join('\n');
    if (dialect === 'sqlite') {
      expect(text).toMatch(/SEARCH order_events USING INDEX order_events_order_idx \(order_id=\?\)/);
      expect(text).not.toMatch(/TEMP B-TREE/);
    } else {
      // The sort left is of one order's few events, not of the table.
      expect(text).toMatch(/(Index|Bitmap Index) Scan (order_events )?using order_events_order_idx/);
      expect(text).not.toMatch(/Seq Scan order_events/);
    }
  });
});
