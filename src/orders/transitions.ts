import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { Database, Order } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { assertRupiah } from '../domain/money.js';
import { canTransition, type OrderStatus } from '../domain/order-status.js';
import { responseNote } from '../domain/response-note.js';
import { buildCallbackJob } from '../callbacks/payload.js';
import { enqueue, enqueueMany, type EnqueueInput, type JobSignal } from '../jobs/queue.js';
import { refundOrder } from '../ledger/ledger.js';
import { recordEvent, type EventInput } from './events.js';

/** How an order ends (or, for SUCCESS -> REFUNDED, is reversed). */
export type Finalisation =
  | { status: 'SUCCESS'; supplierRef: string | null; sn: string | null; voucher: string | null }
  | { status: 'PARTIAL_SUCCESS'; supplierRef: string | null; sn: string | null; refund: number; reason: string }
  | { status: 'FAILED'; reason: string }
  | { status: 'REFUNDED'; reason: string };

/**
 * Applies a final status: the order row, the refund (if any) and the callback job, in one
 * transaction. The status change is a compare-and-set on the status read, so two workers (or a
 * worker and an operator) applying outcomes to one order at once cannot both succeed; the
 * ledger's unique (order, leg) index is the second line of defence against a double refund.
 */
export class OrderTransitions {
  /** `callbackFirstDelayMs`: the first value of the callback schedule, the wait before attempt one. */
  constructor(private readonly d: { db: Db; clock: Clock; signal: JobSignal; callbackFirstDelayMs: number }) {}

  /** Returns the updated order, or null when the order was not in a status it may leave for `f.status`. */
  async finalise(orderId: string, f: Finalisation, source: string): Promise<Order | null> {
    const result = await this.d.db.transaction((trx) => this.finaliseIn(trx, orderId, f, source));
    if (result?.callbackQueued) this.d.signal.notify();
    return result?.order ?? null;
  }

  /**
   * The same, inside the caller's transaction (a supplier answer recorded with the status it
   * causes). The caller calls `notify()` after its commit when `callbackQueued`. A caller that
   * read the order itself may pass it (`known`): an order's fields change only with its status,
   * which the update compares, so a stale copy can only miss, never write over anything. A caller
   * collecting its transaction's events (`withEvents`) passes them, and the status event joins.
   */
  async finaliseIn(trx: Transaction<Database>, orderId: string, f: Finalisation, source: string, known?: Order, events?: EventInput[]): Promise<{ order: Order; callbackQueued: boolean } | null> {
    const now = this.d.clock();
    const order = known ?? (await orderById.first(trx, { id: orderId }));
    if (!order || !canTransition(order.status as OrderStatus, f.status)) return null;

    const { next, refund, reason } = finalised(order, f, now);
    const updated = await finaliseOrder.first(trx, {
      status: next.status,
      ref: next.ref,
      sn: next.sn,
      voucher: next.voucher,
      failure_reason: next.failure_reason,
      refunded_amount: next.refunded_amount,
      response_note: next.response_note,
      updated_at: next.updated_at,
      completed_at: next.completed_at,
      id: orderId,
      from: order.status,
    });
    if (!updated) return null;

    // The balance the callback reports (after any refund) and the default webhook, from the
    // update itself rather than one more read.
    let balance = updated.balance;
    if (refund > 0) {
      ({ balanceAfter: balance } = await refundOrder(trx, {
        resellerId: order.reseller_id,
        orderId,
        amount: refund,
        partial: f.status === 'PARTIAL_SUCCESS',
        note: reason ?? undefined,
        at: now,
      }));
    }

    const callback = this.#callback(next, balance, updated.webhook_url, now);
    if (callback) await enqueue(trx, callback);
    const event = statusEvent(order, f, refund, reason, source, now);
    if (events) events.push(event);
    else await recordEvent(trx, orderId, 'status', now, event.data);
    return { order: next, callbackQueued: callback !== null };
  }

  /**
   * `finaliseIn` for many PENDING orders a supplier delivered in full (no refund, so no ledger),
   * in one statement per table: the orders, their callback jobs. Each order is a compare-and-set
   * on PENDING, as alone; the ids that were not PENDING any more are returned, unchanged, for
   * the caller to treat as `finaliseIn` returning null. The status events join `events`.
   */
  async finaliseSuccesses(
    trx: Transaction<Database>,
    items: { order: Order; f: Extract<Finalisation, { status: 'SUCCESS' }> }[],
    source: string,
    events: EventInput[],
  ): Promise<{ missed: Set<string>; callbackQueued: boolean }> {
    const now = this.d.clock();
    const done = items.map(({ order, f }) => ({ order, f, next: finalised(order, f, now).next }));
    const r = await successUpdate(done.map((x) => x.next)).execute(trx);
    const updated = new Map(r.rows.map((row) => [row.id, row]));
    const callbacks: EnqueueInput[] = [];
    const missed = new Set<string>();
    for (const { order, f, next } of done) {
      const row = updated.get(order.id);
      if (!row) {
        missed.add(order.id);
        continue;
      }
      const callback = this.#callback(next, Number(row.balance), row.webhook_url, now);
      if (callback) callbacks.push(callback);
      events.push(statusEvent(order, f, 0, null, source, now));
    }
    await enqueueMany(trx, callbacks);
    return { missed, callbackQueued: callbacks.length > 0 };
  }

  /** The callback job of a final order: to its own callback URL, else the reseller's webhook; none without either. */
  #callback(next: Order, balance: number, webhook: string | null, now: number): EnqueueInput | null {
    const target = next.callback_url ?? webhook;
    if (!target) return null;
    return {
      kind: 'callback',
      orderId: next.id,
      dedupeKey: `callback:${next.id}:${next.status}`,
      payload: buildCallbackJob(next, balance, target),
      runAt: now + this.d.callbackFirstDelayMs,
      now,
    };
  }

  /** Wakes the worker after a commit that queued a callback. */
  notify(): void {
    this.d.signal.notify();
  }
}

/**
 * The orders of `finaliseSuccesses`, each set to its `next` if it is still PENDING. The VALUES
 * list's join column is wrapped (`|| ''`), as in `attemptsUpdate` (settle-successes.ts, which says
 * why): the only plan left to SQLite is one lookup by primary key per row.
 */
export function successUpdate(orders: Order[]) {
  const values = sql.join(
    orders.map((o) => sql`(${o.id}, ${o.ref}, ${o.sn}, ${o.voucher}, ${o.response_note}, cast(${o.updated_at} as bigint), cast(${o.completed_at} as bigint))`),
  );
  // Only the columns a SUCCESS changes: failure_reason and refunded_amount stay (no reason, no
  // refund), and what `finaliseIn` writes of them is the row's own value.
  return sql<{ id: string; balance: number | string; webhook_url: string | null }>`
    with v (v_id, v_ref, v_sn, v_voucher, v_note, v_updated_at, v_completed_at) as (values ${values})
    update orders
       set status = 'SUCCESS', ref = v_ref, sn = v_sn, voucher = v_voucher, response_note = v_note, updated_at = v_updated_at, completed_at = v_completed_at
      from v
     where id = v_id || '' and status = 'PENDING'
    returning id,
      (select balance from resellers where resellers.id = orders.reseller_id) as balance,
      (select webhook_url from resellers where resellers.id = orders.reseller_id) as webhook_url`;
}

/** The order as `f` leaves it (a pure function of the order read and the outcome), and the refund it owes. */
function finalised(order: Order, f: Finalisation, now: number): { next: Order; refund: number; reason: string | null } {
  const refund = f.status === 'FAILED' || f.status === 'REFUNDED' ? order.amount - order.refunded_amount : f.status === 'PARTIAL_SUCCESS' ? assertRupiah(f.refund) : 0;
  // The RefId shown to the reseller becomes the supplier's reference once one delivered.
  const ref = (f.status === 'SUCCESS' || f.status === 'PARTIAL_SUCCESS' ? f.supplierRef : null) ?? order.ref;
  const reason = 'reason' in f ? f.reason.slice(0, 300) : null;
  const sn = f.status === 'SUCCESS' || f.status === 'PARTIAL_SUCCESS' ? (f.sn ?? order.sn) : order.sn;
  const voucher = f.status === 'SUCCESS' && order.category_type === 'voucher' ? (f.voucher ?? f.sn ?? null) : order.voucher;
  const next: Order = {
    ...order,
    status: f.status,
    ref,
    sn,
    voucher,
    failure_reason: reason ?? order.failure_reason,
    refunded_amount: order.refunded_amount + refund,
    response_note: responseNote({ nickname: order.nickname, userId: order.user_id, serverId: order.server_id, ref, voucher: f.status === 'SUCCESS' ? voucher : null, reason }),
    updated_at: now,
    completed_at: order.completed_at ?? now,
  };
  return { next, refund, reason };
}

function statusEvent(order: Order, f: Finalisation, refund: number, reason: string | null, source: string, now: number): EventInput {
  return { orderId: order.id, type: 'status', at: now, data: { from: order.status, to: f.status, refund, source, reason } };
}

/** An order by id, when the caller of `finaliseIn` did not read it (prepared: see src/db/prepared.ts). */
const orderById = prepared((q, a: { id: string }) => q.selectFrom('orders').selectAll().where('id', '=', a.id));

const finaliseOrder = prepared(
  (q, a: Pick<Order, 'status' | 'ref' | 'sn' | 'voucher' | 'failure_reason' | 'refunded_amount' | 'response_note' | 'updated_at' | 'completed_at'> & { id: string; from: string }) =>
    q
      .updateTable('orders')
      .set({
        status: a.status,
        ref: a.ref,
        sn: a.sn,
        voucher: a.voucher,
        failure_reason: a.failure_reason,
        refunded_amount: a.refunded_amount,
        response_note: a.response_note,
        updated_at: a.updated_at,
        completed_at: a.completed_at,
      })
      .where('id', '=', a.id)
      .where('status', '=', a.from)
      .returning((eb) => [
        eb.selectFrom('resellers').select('balance').whereRef('resellers.id', '=', 'orders.reseller_id').$asScalar().$notNull().as('balance'),
        eb.selectFrom('resellers').select('webhook_url').whereRef('resellers.id', '=', 'orders.reseller_id').$asScalar().as('webhook_url'),
      ]),
);
