import type { HttpAnswer } from '../kit/http.js';
import type { StatusOutcome, SupplierOutcome } from '../types.js';
import { ANSWER_HTTP_STATUSES, envelope, headerSchema, ORDER_STATUS, orderDataSchema, orderStatusSchema, RC_CODES, type Header, type OrderStatus } from './protocol.js';

/**
 * VCGamers answers -> outcomes. Pending unless the answer is explicit: a documented `rc_code` in
 * a readable envelope, about our own `ref_id`, with an HTTP status VCGamers answers with. A
 * timeout, a 5xx, a 429, an unreadable body, a missing or unknown `rc_code` leave the attempt
 * undecided (RULINGS sections 4 and 5).
 */

const ambiguous = (reason: string): SupplierOutcome => ({ kind: 'pending', ambiguous: true, reason: reason.slice(0, 200) });

/** Why an answer cannot be read at all, or null when it can. */
function unreadable(answer: HttpAnswer): string | null {
  if (answer.kind === 'no_answer') return `no answer: ${answer.error}`;
  if (answer.status === 429 || answer.status >= 500) return `HTTP ${answer.status}`;
  if (!ANSWER_HTTP_STATUSES.has(answer.status)) return `unexpected HTTP ${answer.status}`;
  return null;
}

function said(h: Header, rc: string): string {
  const text = typeof h.message === 'string' && h.message.trim() ? h.message.trim() : (RC_CODES[rc]?.text ?? '');
  return `${rc} ${text}`.trim().slice(0, 200);
}

/** The answer to `POST /v2/public/order` (a purchase, or the same order re-sent as a status check). */
export function orderAnswer(answer: HttpAnswer, ref: string): SupplierOutcome {
  const why = unreadable(answer);
  if (why !== null || answer.kind !== 'answered') return ambiguous(why ?? 'no answer');
  const parsed = headerSchema.safeParse(answer.json);
  if (!parsed.success || parsed.data.rc_code === undefined) return ambiguous(`unreadable answer (HTTP ${answer.status})`);
  const h = parsed.data;
  const rc = h.rc_code!;
  const code = RC_CODES[rc];
  if (!code) return ambiguous(`unknown rc ${rc.slice(0, 10)} (HTTP ${answer.status})`);
  const data = orderDataSchema.safeParse(h.data ?? {});
  const d = data.success ? data.data : {};
  if (d.ref_id !== undefined && d.ref_id !== ref) return ambiguous(`answer about another ref_id (${d.ref_id.slice(0, 60)})`);
  // The status word must agree with the code's class.
  if (h.status !== undefined && (h.status === 'SUCCESS') !== (rc === '00')) return ambiguous(`rc ${rc} with status "${h.status.slice(0, 30)}"`);
  switch (code.outcome) {
    case 'success':
      if (answer.status !== 200 && answer.status !== 201) return ambiguous(`rc 00 with HTTP ${answer.status}`);
      // Accepted: delivery is reported by the status call and the webhook.
      return { kind: 'pending', supplierRef: d.trx_code ?? null, reason: `accepted${d.transaction_status ? `: ${d.transaction_status.slice(0, 60)}` : ''}` };
    case 'known':
      return { kind: 'pending', supplierRef: d.trx_code ?? null, reason: `${said(h, rc)}: the reference is known, status to be checked` };
    case 'unsure':
      return ambiguous(said(h, rc));
    case 'failed':
      return { kind: 'failed', code: rc, scope: code.scope, reason: said(h, rc) };
  }
}

/** The answer to `GET /v2/public/order-status?tid=`. It never fails an attempt by itself: only the transaction's own status can. */
export function statusAnswer(answer: HttpAnswer, tid: string, ref: string): StatusOutcome {
  const why = unreadable(answer);
  if (why !== null || answer.kind !== 'answered') return ambiguous(why ?? 'no answer');
  const ok = envelope(orderStatusSchema).safeParse(answer.json);
  if (ok.success && answer.status === 200 && (ok.data.rc_code === undefined || ok.data.rc_code === '00') && (ok.data.status === undefined || ok.data.status === 'SUCCESS')) {
    return orderStatusOutcome(ok.data.data, tid, ref);
  }
  const h = headerSchema.safeParse(answer.json);
  const rc = h.success ? h.data.rc_code : undefined;
  if (!h.success || rc === undefined) return ambiguous(`unreadable status answer (HTTP ${answer.status})`);
  const code = RC_CODES[rc];
  // Kios's own credentials refused: the purchase may well exist; the operator must fix the account.
  if (code?.outcome === 'failed' && code.scope === 'account') return { kind: 'pending', ambiguous: true, reason: said(h.data, rc), alert: `VCGamers refused kios's credentials on a status check (${said(h.data, rc)}): check access_key and secret_key` };
  // 44 for a tid VCGamers itself gave proves nothing (a lagging replica, an archive).
  return ambiguous(said(h.data, rc));
}

/** A transaction as the status call describes it. */
export function orderStatusOutcome(s: OrderStatus, tid: string, ref: string): SupplierOutcome {
  if (s.ref_id !== undefined && s.ref_id !== ref) return ambiguous(`status about another ref_id (${s.ref_id.slice(0, 60)})`);
  if (s.code !== undefined && s.code !== tid) return ambiguous(`status about another transaction (${s.code.slice(0, 60)})`);
  const voucher = s.detail?.voucher_code?.trim() || null;
  const sn = s.sn?.trim() || null;
  switch (s.status) {
    case ORDER_STATUS.success:
      return { kind: 'success', supplierRef: tid, sn: voucher ?? sn, voucher };
    case ORDER_STATUS.processing:
      return { kind: 'pending', supplierRef: tid, reason: 'processing' };
    case ORDER_STATUS.failed:
      return { kind: 'failed', code: `status ${s.status}`, scope: 'route', reason: (sn ?? 'failed at VCGamers').slice(0, 200) };
    case ORDER_STATUS.refunded:
      return { kind: 'reversed', reason: (sn ?? 'refunded by VCGamers').slice(0, 200) };
    default:
      // Not a documented number: the transaction exists, its state is not readable; never a conclusion.
      return { kind: 'pending', supplierRef: tid, reason: `status ${s.status}` };
  }
}
