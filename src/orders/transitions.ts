import type { Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { Database, Order } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { assertRupiah } from '../domain/money.js';
import { canTransition, type OrderStatus } from '../domain/order-status.js';
import { responseNote } from '../domain/response-note.js';
import { buildCallbackJob } from '../callbacks/payload.js';
import { enqueue, type JobSignal } from '../jobs/queue.js';
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

    let callbackQueued = false;
    const target = order.callback_url ?? updated.webhook_url;
    if (target) {
      await enqueue(trx, {
        kind: 'callback',
        orderId,
        dedupeKey: `callback:${orderId}:${f.status}`,
        payload: buildCallbackJob(next, balance, target),
        runAt: now + this.d.callbackFirstDelayMs,
        now,
      });
      callbackQueued = true;
    }
    const data = { from: order.status, to: f.status, refund, source, reason };
    if (events) events.push({ orderId, type: 'status', at: now, data });
    else await recordEvent(trx, orderId, 'status', now, data);
    return { order: next, callbackQueued };
  }

  /** Wakes the worker after a commit that queued a callback. */
  notify(): void {
    this.d.signal.notify();
  }
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
