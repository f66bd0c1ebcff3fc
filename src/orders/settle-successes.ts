import { sql, type Transaction } from 'kysely';
import type { Exchange } from '../connectors/types.js';
import type { Database, Order, OrderAttempt } from '../db/schema.js';
import type { Answer, AnswerSource } from './attempts.js';
import { recordEvents, shortExchange, type EventInput } from './events.js';
import type { OrderTransitions } from './transitions.js';

/** Records an answer that contradicts what kios holds (an event, and a log line for the operator). */
export type Conflict = (events: EventInput[], attempt: OrderAttempt, answer: Answer, now: number, why: string) => void;

/** A supplier's full delivery of an undecided attempt, learnt by the fulfilment job's own call. */
export interface Delivery {
  /** The attempt and its order as the job read them (the compare-and-set is on these copies). */
  attempt: OrderAttempt;
  order: Order;
  answer: Extract<Answer, { kind: 'success' }>;
  how: { source: Exclude<AnswerSource, 'callback'>; exchanges: Exchange[]; durationMs?: number };
}

/**
 * What `Attempts.settle` does with one delivery (the attempt to `success`, the order to SUCCESS
 * with its callback job, the two events), done for many in one statement per table: at hundreds
 * of orders a second the worker's per-order statements were its largest cost, and on
 * PostgreSQL each was a round trip. The caller's transaction holds them all.
 *
 * Each row is still a compare-and-set on the copy its job read, exactly as alone: an attempt that
 * moved since is left untouched here and reported `moved`, for the caller to settle afresh, and
 * an order that left PENDING meanwhile (resolved by the operator) keeps its attempt's answer
 * and gets the conflict event `settle` would record. So a delivery gives the same rows, alone
 * or in a batch.
 */
export async function settleSuccesses(
  trx: Transaction<Database>,
  deps: { transitions: OrderTransitions; conflict: Conflict },
  deliveries: Delivery[],
  now: number,
): Promise<{ moved: Set<Delivery>; callbackQueued: boolean }> {
  const rows = deliveries.map((d): AttemptSuccess => ({ d, supplierRef: d.answer.supplierRef ?? d.attempt.supplier_ref, ...answerRecord(d.attempt, d.answer, d.how, now) }));
  const set = await attemptsUpdate(rows, now).execute(trx);
  const applied = new Set(set.rows.map((r) => `${r.order_id}\u0000${Number(r.n)}`));

  const moved = new Set<Delivery>();
  const settled: AttemptSuccess[] = [];
  const events: EventInput[] = [];
  for (const r of rows) {
    if (applied.has(`${r.d.attempt.order_id}\u0000${r.d.attempt.n}`)) {
      settled.push(r);
      events.push(r.event);
    } else {
      moved.add(r.d);
    }
  }
  const { missed, callbackQueued } =
    settled.length === 0
      ? { missed: new Set<string>(), callbackQueued: false }
      : await deps.transitions.finaliseSuccesses(
          trx,
          settled.map(({ d, supplierRef }) => ({ order: d.order, f: { status: 'SUCCESS', supplierRef, sn: d.answer.sn ?? null, voucher: d.answer.voucher ?? null } })),
          'supplier',
          events,
        );
  if (missed.size > 0) {
    // Settled meanwhile by hand (`kios order resolve`): fine if the operator saw it the same way.
    const statuses = new Map((await trx.selectFrom('orders').select(['id', 'status']).where('id', 'in', [...missed]).execute()).map((o) => [o.id, o.status]));
    for (const { d } of settled) {
      const status = statuses.get(d.order.id);
      if (missed.has(d.order.id) && status !== 'SUCCESS') deps.conflict(events, d.attempt, d.answer, now, `the order is already ${status}`);
    }
  }
  // Every order's supplier event is in the list before its status event: the same order as alone.
  await recordEvents(trx, events);
  return { moved, callbackQueued };
}

/**
 * The attempts, each set to `success` if it is still what its job read (state, checks, first
 * answer). The VALUES list's columns in the join are wrapped (`|| ''`, `+ 0`): SQLite has no
 * statistics to plan by, and given them bare, between a few dozen and a few hundred rows it
 * chose to scan `order_attempts` and look each row up in the list, so every batch was slower
 * than the last as the table grew (the pipeline through the simulator fell from about 8,000 to
 * 3,200 orders final/s). Wrapped, the list cannot be looked into, and the only plan left is one
 * lookup by primary key per row. PostgreSQL plans the same either way. The v_ names keep every
 * unqualified column the target's (PostgreSQL refuses ambiguous ones).
 */
export function attemptsUpdate(rows: AttemptSuccess[], now: number) {
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.d.attempt.order_id}, cast(${r.d.attempt.n} as integer), ${r.d.attempt.state}, cast(${r.d.attempt.checks} as integer), cast(${r.d.attempt.answered_at} as bigint), ${r.supplierRef}, ${r.columns.response}, cast(${r.columns.request === undefined ? 0 : 1} as integer), ${r.columns.request ?? null}, cast(${r.columns.duration_ms ?? null} as integer), cast(${r.columns.checks} as integer), cast(${r.columns.answered_at} as bigint))`,
    ),
  );
  return sql<{ order_id: string; n: number }>`
    with v (v_order_id, v_n, v_was_state, v_was_checks, v_was_answered_at, v_supplier_ref, v_response, v_purchase, v_request, v_duration_ms, v_checks, v_answered_at) as (values ${values})
    update order_attempts
       set state = 'success', supplier_ref = v_supplier_ref, response = v_response, checks = v_checks, answered_at = v_answered_at, finished_at = ${now},
           request = case when v_purchase = 1 then v_request else request end,
           duration_ms = case when v_purchase = 1 then v_duration_ms else duration_ms end
      from v
     where order_id = v_order_id || '' and n = v_n + 0 and state = v_was_state || '' and checks = v_was_checks + 0
       and (answered_at = v_was_answered_at + 0 or (answered_at is null and v_was_answered_at is null))
    returning order_id, n`;
}

/** A delivery as its attempt's row and its event will hold it. */
export interface AttemptSuccess extends AnswerRecord {
  d: Delivery;
  supplierRef: string | null;
}

/** What every answer about an attempt records, whatever it moves the attempt to. */
export interface AnswerRecord {
  /** The supplier's answer on the order's trail, with the exchanges of the call. */
  event: EventInput;
  /** The answer on the attempt: a status check counts, a purchase keeps its request and its time. */
  columns: { response: string; answered_at: number; checks: number; request?: string; duration_ms?: number | null };
}

/** The record of one answer, the same for `Attempts.settle` and for `settleSuccesses`. */
export function answerRecord(attempt: OrderAttempt, answer: Answer, how: { source: AnswerSource; exchanges: Exchange[]; durationMs?: number }, now: number): AnswerRecord {
  const exchanges = how.exchanges.map(shortExchange);
  return {
    event: { orderId: attempt.order_id, type: `supplier_${how.source}`, at: now, data: { attempt: attempt.n, supplier: attempt.supplier_id, ref: attempt.ref, ...answer, exchanges } },
    columns: {
      response: JSON.stringify({ source: how.source, at: new Date(now).toISOString(), outcome: answer }),
      answered_at: attempt.answered_at ?? now,
      checks: attempt.checks + (how.source === 'status' ? 1 : 0),
      ...(how.source === 'purchase' ? { request: JSON.stringify(exchanges), duration_ms: how.durationMs ?? null } : {}),
    },
  };
}
