import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { ORDER_STATUSES } from '../domain/order-status.js';
import { lastLedgerVerification, type LedgerVerification } from '../ledger/verify.js';
import { daysEndingAt, type Day } from './days.js';
import { countFailingCallbacks } from './failing-callbacks.js';

/**
 * The operator's "today at a glance" and the days before it.
 *
 * What the numbers mean (one definition, used by the page and its tests):
 * - an order belongs to the day it was placed, in the operator's time zone;
 * - revenue: what resellers paid for delivered orders (SUCCESS, PARTIAL_SUCCESS), net of what
 *   was given back; an order refunded later drops out of it (REFUNDED pays nothing);
 * - cost: what kios pays the supplier for those orders. kios records no supplier invoice: each
 *   attempt keeps the cost of its route when it was bought (`order_attempts.cost`), and the
 *   delivering attempt is the order's last one (attempt n+1 exists only once n was refused). A
 *   partial delivery counts its attempt's full cost (what the supplier really charged for part of
 *   it is not recorded); an order whose route has no cost is counted in `costUnknown`, not as 0
 *   silently;
 * - margin: revenue minus cost.
 *
 * Each day is one range read of `orders_created_idx` plus a primary-key read of the last
 * attempt of each delivered order, so a day costs what its own orders cost, however many
 * orders came before it.
 */
export interface DayFigures {
  date: string;
  start: number;
  end: number;
  orders: number;
  byStatus: Record<string, number>;
  successful: number;
  revenue: number;
  cost: number;
  margin: number;
  costUnknown: number;
}

export interface Overview {
  timeZone: string;
  now: number;
  today: DayFigures;
  /** The last 7 days, oldest first; the last is today. */
  days: DayFigures[];
  pending: { count: number; oldestCreatedAt: number | null; oldestAgeMs: number | null };
  suppliers: { id: string; name: string; active: boolean; balance: number | null; error: string | null; checkedAt: number | null }[];
  failingCallbacks: number;
  ledger: LedgerVerification | null;
}

const DELIVERED = ['SUCCESS', 'PARTIAL_SUCCESS'];

export class OperationsOverview {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  async get(timeZone: string, dayCount = 7): Promise<Overview> {
    const now = this.d.clock();
    const days = await Promise.all(daysEndingAt(now, timeZone, dayCount).map((day) => this.day(day)));
    const k = this.d.db.kysely;
    const [pending, suppliers, failingCallbacks, ledger] = await Promise.all([
      k.selectFrom('orders').select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('created_at').as('oldest')]).where('status', '=', 'PENDING').executeTakeFirstOrThrow(),
      k
        .selectFrom('suppliers as s')
        .leftJoin('supplier_balances as b', 'b.supplier_id', 's.id')
        .select(['s.id', 's.name', 's.is_active', 'b.balance', 'b.error', 'b.checked_at'])
        .orderBy('s.id')
        .execute(),
      countFailingCallbacks(k),
      lastLedgerVerification(k),
    ]);
    const oldest = pending.oldest === null ? null : Number(pending.oldest);
    return {
      timeZone,
      now,
      today: days[days.length - 1]!,
      days,
      pending: { count: Number(pending.n), oldestCreatedAt: oldest, oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest) },
      suppliers: suppliers.map((s) => ({
        id: s.id,
        name: s.name,
        active: s.is_active === 1,
        balance: s.balance === null ? null : Number(s.balance),
        error: s.error,
        checkedAt: s.checked_at === null ? null : Number(s.checked_at),
      })),
      failingCallbacks,
      ledger,
    };
  }

  private async day(day: Day): Promise<DayFigures> {
    const k = this.d.db.kysely;
    const delivered = sql.join(DELIVERED.map((s) => sql.lit(s)));
    const lastCost = sql<number | null>`(select a.cost from order_attempts a where a.order_id = o.id order by a.n desc limit 1)`;
    const inner = k
      .selectFrom('orders as o')
      .select([
        'o.status',
        sql<number>`case when o.status in (${delivered}) then o.amount - o.refunded_amount else 0 end`.as('paid'),
        sql<number | null>`case when o.status in (${delivered}) then ${lastCost} end`.as('cost'),
        sql<number>`case when o.status in (${delivered}) then 1 else 0 end`.as('delivered'),
      ])
      .where('o.created_at', '>=', day.start)
      .where('o.created_at', '<', day.end)
      .as('t');
    const rows = await k
      .selectFrom(inner)
      .select([
        't.status',
        sql<number | string>`count(*)`.as('n'),
        sql<number | string | null>`sum(t.paid)`.as('paid'),
        sql<number | string | null>`sum(t.cost)`.as('cost'),
        sql<number | string>`sum(case when t.delivered = 1 and t.cost is null then 1 else 0 end)`.as('unknown'),
      ])
      .groupBy('t.status')
      .execute();
    const byStatus: Record<string, number> = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0]));
    let revenue = 0;
    let cost = 0;
    let costUnknown = 0;
    for (const r of rows) {
      byStatus[r.status] = Number(r.n);
      revenue += Number(r.paid ?? 0);
      cost += Number(r.cost ?? 0);
      costUnknown += Number(r.unknown);
    }
    const orders = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const successful = DELIVERED.reduce((a, s) => a + (byStatus[s] ?? 0), 0);
    return { date: day.date, start: day.start, end: day.end, orders, byStatus, successful, revenue, cost, margin: revenue - cost, costUnknown };
  }
}
