import type { Db } from '../db/index.js';
import type { LedgerEntry, Order, OrderAttempt } from '../db/schema.js';
import { OperatorError } from '../resellers/service.js';
import { maskTarget, targetOf } from './failing-callbacks.js';

/**
 * One order's whole story for the operator: the order, its events, its attempts at suppliers
 * (request and answer as stored: connectors mask secrets before they are recorded), its
 * callbacks with every delivery attempt, and its ledger legs. Each part is an indexed read by
 * order id.
 */
export interface OrderHistory {
  order: Order;
  resellerName: string;
  events: { seq: number; at: number; type: string; data: unknown }[];
  attempts: (Omit<OrderAttempt, 'request' | 'response'> & { request: unknown; response: unknown })[];
  callbacks: {
    jobId: string;
    status: string;
    target: string;
    attempts: number;
    lastError: string | null;
    nextRetryAt: number | null;
    createdAt: number;
    deliveries: { attempt: number; startedAt: number; durationMs: number; responseCode: number | null; outcome: string; error: string | null }[];
  }[];
  ledger: Pick<LedgerEntry, 'id' | 'kind' | 'amount' | 'balance_after' | 'order_leg' | 'note' | 'created_at'>[];
}

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function orderHistory(db: Db, invoiceNumber: string): Promise<OrderHistory> {
  const k = db.kysely;
  const order = await k.selectFrom('orders').selectAll().where('invoice_number', '=', invoiceNumber).executeTakeFirst();
  if (!order) throw new OperatorError(`no order with invoice number ${invoiceNumber}`, 'not_found');
  const [reseller, events, attempts, jobs, ledger] = await Promise.all([
    k.selectFrom('resellers').select('name').where('id', '=', order.reseller_id).executeTakeFirst(),
    k.selectFrom('order_events').selectAll().where('order_id', '=', order.id).orderBy('seq').execute(),
    k.selectFrom('order_attempts').selectAll().where('order_id', '=', order.id).orderBy('n').execute(),
    k.selectFrom('jobs').selectAll().where('order_id', '=', order.id).where('kind', '=', 'callback').orderBy('created_at').orderBy('id').execute(),
    k.selectFrom('ledger_entries').select(['id', 'kind', 'amount', 'balance_after', 'order_leg', 'note', 'created_at']).where('order_id', '=', order.id).orderBy('seq').execute(),
  ]);
  const deliveries =
    jobs.length === 0
      ? []
      : await k
          .selectFrom('callback_attempts')
          .selectAll()
          .where(
            'job_id',
            'in',
            jobs.map((j) => j.id),
          )
          .orderBy('seq')
          .execute();
  return {
    order,
    resellerName: reseller?.name ?? '',
    events: events.map((e) => ({ seq: Number(e.seq), at: Number(e.at), type: e.type, data: parsed(e.data) })),
    attempts: attempts.map((a) => ({ ...a, request: parsed(a.request), response: parsed(a.response) })),
    callbacks: jobs.map((j) => ({
      jobId: j.id,
      status: j.status,
      target: maskTarget(targetOf(j.payload)),
      attempts: j.attempts,
      lastError: j.last_error,
      nextRetryAt: j.status === 'queued' ? Number(j.run_at) : null,
      createdAt: Number(j.created_at),
      deliveries: deliveries
        .filter((c) => c.job_id === j.id)
        .map((c) => ({ attempt: c.attempt, startedAt: Number(c.started_at), durationMs: c.duration_ms, responseCode: c.response_code, outcome: c.outcome, error: c.error })),
    })),
    ledger: ledger.map((e) => ({ ...e, amount: Number(e.amount), balance_after: Number(e.balance_after), created_at: Number(e.created_at) })),
  };
}
