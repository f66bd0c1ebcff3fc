import type { HttpAnswer } from '../kit/http.js';
import type { StatusOutcome, SupplierOutcome } from '../types.js';
import { ERROR_HTTP_STATUS, errorEnvelope, invoiceSchema, ORDER_REFUSALS, successEnvelope, type Invoice } from './protocol.js';

/**
 * Kiosgame answers -> outcomes. The default is pending: only a documented refusal (with the
 * HTTP status it is documented with) fails an attempt, and only an invoice about our own
 * reference decides one.
 */

export function orderAnswer(answer: HttpAnswer, ref: string): SupplierOutcome {
  if (answer.kind === 'no_answer') return { kind: 'pending', ambiguous: true, reason: `no answer: ${answer.error}` };
  if (answer.status >= 500) return { kind: 'pending', ambiguous: true, reason: `HTTP ${answer.status}` };
  const ok = successEnvelope(invoiceSchema).safeParse(answer.json);
  if (ok.success && (answer.status === 200 || answer.status === 201)) return invoiceOutcome(ok.data.data, ref);
  const err = errorEnvelope.safeParse(answer.json);
  if (err.success && ERROR_HTTP_STATUS[err.data.message] === answer.status && err.data.statusCode === answer.status) {
    const refusal = ORDER_REFUSALS[err.data.message];
    if (refusal) return { kind: 'failed', code: err.data.message, scope: refusal.scope, reason: `${err.data.message}: ${refusal.reason}` };
    // DUPLICATE_TRX_ID proves the platform holds our reference; the other codes prove nothing.
    if (err.data.message === 'DUPLICATE_TRX_ID') return { kind: 'pending', reason: err.data.message };
    return { kind: 'pending', ambiguous: true, reason: err.data.message };
  }
  return { kind: 'pending', ambiguous: true, reason: `unreadable answer (HTTP ${answer.status})` };
}

export function statusAnswer(answer: HttpAnswer, ref: string): StatusOutcome {
  if (answer.kind === 'answered' && answer.status === 404) {
    const err = errorEnvelope.safeParse(answer.json);
    if (err.success && err.data.message === 'INVOICE_NOT_FOUND') return { kind: 'not_found' };
  }
  if (answer.kind === 'answered' && answer.status === 200) {
    const ok = successEnvelope(invoiceSchema).safeParse(answer.json);
    if (ok.success) return invoiceOutcome(ok.data.data, ref);
  }
  if (answer.kind === 'no_answer') return { kind: 'pending', ambiguous: true, reason: `no answer: ${answer.error}` };
  return { kind: 'pending', ambiguous: true, reason: `unreadable status answer (HTTP ${answer.status})` };
}

/** An invoice (order reply, status or callback body) -> outcome. */
export function invoiceOutcome(inv: Invoice, ref: string): SupplierOutcome {
  if (inv.trx_id !== ref) return { kind: 'pending', ambiguous: true, reason: `the supplier answered about another reference (${String(inv.trx_id).slice(0, 60)})` };
  const supplierRef = inv.invoice_number;
  const note = inv.response_note ?? '';
  switch (inv.status) {
    case 'SUCCESS':
      return { kind: 'success', supplierRef, sn: inv.voucher ?? null, voucher: inv.voucher ?? null };
    case 'PARTIAL_SUCCESS': {
      // kios writes the delivered share into the note ("Terkirim sebagian 1/2"); a platform that
      // does not is taken as half delivered (README, "Suppliers").
      const m = /Terkirim sebagian (\d+)\/(\d+)/.exec(note);
      const delivered = m ? Number(m[1]) : 1;
      const total = m ? Number(m[2]) : 2;
      if (total > 0 && delivered >= 0 && delivered <= total) return { kind: 'partial', supplierRef, delivered, total, sn: inv.voucher ?? null };
      return { kind: 'partial', supplierRef, delivered: 1, total: 2, sn: inv.voucher ?? null };
    }
    case 'FAILED':
      return { kind: 'failed', scope: 'route', code: 'FAILED', reason: failureReason(note) };
    case 'REFUNDED':
      return { kind: 'reversed', reason: failureReason(note) || 'refunded by the supplier' };
    default:
      // PENDING, PAID, and anything the documents do not list.
      return { kind: 'pending', supplierRef, reason: inv.status };
  }
}

/** The part of a response note after its RefId (`... . RefId: X . <reason>`), or the whole note. */
function failureReason(note: string): string {
  const m = /RefId: \S+ \. (.+)$/.exec(note);
  return (m?.[1] ?? note ?? '').slice(0, 200) || 'failed at the supplier';
}
