import type { HttpAnswer } from '../kit/http.js';
import type { SupplierOutcome } from '../types.js';
import { envelope, RESPONSE_CODES, STATUS_WORD, transactionSchema, type Transaction } from './protocol.js';

/**
 * Digiflazz answers -> outcomes. Pending unless the answer is explicit: a documented code whose
 * `status` word agrees, about our own `ref_id`. An HTTP error, a missing `data`, an unknown
 * code or an unreadable body leaves the attempt undecided (RULINGS section 5).
 */
export function transactionAnswer(answer: HttpAnswer, ref: string): SupplierOutcome {
  if (answer.kind === 'no_answer') return { kind: 'pending', ambiguous: true, reason: `no answer: ${answer.error}` };
  if (answer.status >= 500) return { kind: 'pending', ambiguous: true, reason: `HTTP ${answer.status}` };
  const parsed = envelope(transactionSchema).safeParse(answer.json);
  if (!parsed.success) return { kind: 'pending', ambiguous: true, reason: `unreadable answer (HTTP ${answer.status})` };
  return transactionOutcome(parsed.data.data, ref);
}

export function transactionOutcome(t: Transaction, ref: string): SupplierOutcome {
  const code = RESPONSE_CODES[t.rc];
  const said = `${t.rc} ${t.message ?? code?.text ?? ''}`.trim().slice(0, 200);
  if (!code) return { kind: 'pending', ambiguous: true, reason: `unknown rc ${said}` };
  if (t.ref_id !== undefined && t.ref_id !== ref) return { kind: 'pending', ambiguous: true, reason: `answer about another ref_id (${t.ref_id.slice(0, 60)})` };
  if (code.outcome === 'unsure') return { kind: 'pending', ambiguous: true, reason: said };
  const expected = code.outcome === 'success' ? STATUS_WORD.success : code.outcome === 'pending' ? STATUS_WORD.pending : STATUS_WORD.failed;
  if (t.status !== undefined && t.status !== expected) return { kind: 'pending', ambiguous: true, reason: `rc ${t.rc} with status "${t.status.slice(0, 20)}"` };
  const supplierRef = null;
  switch (code.outcome) {
    case 'success':
      // A success names the transaction it is about; without our ref_id it proves nothing.
      if (t.ref_id === undefined) return { kind: 'pending', ambiguous: true, reason: 'success without ref_id' };
      return { kind: 'success', supplierRef, sn: t.sn || null, voucher: t.sn || null };
    case 'pending':
      return { kind: 'pending', reason: said };
    case 'check':
      return { kind: 'pending', reason: `${said}: the reference is known, status to be checked` };
    case 'reversed':
      return { kind: 'reversed', reason: said };
    case 'failed':
      return { kind: 'failed', code: t.rc, scope: code.scope, reason: said };
  }
}
