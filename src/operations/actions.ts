import type { AuditActor, AuditLog } from '../audit/log.js';
import type { Order } from '../db/schema.js';
import type { OrderAdmin } from '../orders/admin.js';
import type { CallbackState, FailingCallbacks } from './failing-callbacks.js';
import type { LedgerCheck } from './ledger-check.js';

/**
 * The operator's state-changing actions on orders, callbacks and the ledger, each with its
 * audit entry (who, what, before/after, reason) written in the same transaction as the change:
 * the dashboard and the CLI both come through here, so neither can act without a record.
 */
export interface OperationsDeps {
  orderAdmin: OrderAdmin;
  audit: AuditLog;
  operations: { callbacks: FailingCallbacks; ledger: LedgerCheck };
}

/** What the audit log keeps of an order: enough to see what moved, nothing secret. */
function orderState(o: Order) {
  return { status: o.status, amount: o.amount, refundedAmount: o.refunded_amount, failureReason: o.failure_reason };
}

export function resolveOrder(d: OperationsDeps, actor: AuditActor, invoice: string, outcome: 'success' | 'failed' | 'partial', reason: string, refund?: number): Promise<Order> {
  return d.orderAdmin.resolve(invoice, outcome, reason, refund, (trx, before, after) =>
    d.audit.record(actor, 'order.resolve', { type: 'order', id: invoice }, orderState(before), { ...orderState(after), outcome }, reason || null, trx),
  );
}

export function refundOrder(d: OperationsDeps, actor: AuditActor, invoice: string, reason: string): Promise<Order> {
  return d.orderAdmin.refund(invoice, reason, (trx, before, after) => d.audit.record(actor, 'order.refund', { type: 'order', id: invoice }, orderState(before), orderState(after), reason || null, trx));
}

export function resendCallback(d: OperationsDeps, actor: AuditActor, invoice: string): Promise<CallbackState> {
  return d.operations.callbacks.resend(invoice, (trx, before, after) => d.audit.record(actor, 'callback.resend', { type: 'order', id: invoice }, before, after, null, trx));
}

export async function verifyLedgerNow(d: OperationsDeps, actor: AuditActor) {
  const before = await d.operations.ledger.last();
  const result = await d.operations.ledger.run();
  await d.audit.record(actor, 'ledger.verify', { type: 'ledger', id: null }, before, { ok: result.ok, violations: result.violations, at: result.at });
  return result;
}
