import type { HttpAnswer } from '../kit/http.js';
import type { AccountCheck, StatusOutcome, SupplierOutcome } from '../types.js';
import { ACCOUNT_REFUSAL, DUPLICATE_REF, errorEnvelope, okEnvelope, STATUS, TRANSACTION_NOT_FOUND, transactionSchema, usernameSchema, type Transaction } from './protocol.js';

/**
 * APIGames answers -> outcomes (RULINGS section 5). Its terms say: every HTTP error and every
 * timeout is Pending; the first answer to a purchase is Pending; only the status check and the
 * webhook tell the outcome; and only "Gagal" is a failure. So:
 * - no answer, any non-2xx, an unreadable body, an unknown status word, or an answer about
 *   another `ref_id` (or none): pending and ambiguous (nothing proves APIGames holds it);
 * - "Pending", "Proses": pending (APIGames holds the purchase);
 * - "Validasi Provider" (APIGames got no usable answer from the provider): pending, and the
 *   operator is alerted, since only a person can find out what happened;
 * - "Sukses Sebagian" (a bundled product, e.g. ML 15 = ML 5 + ML 10, of which only some parts
 *   went through): the answer never says how much was delivered, so kios cannot compute a
 *   refund without guessing: pending with an alert, for the operator to resolve by hand;
 * - "Sukses": success; "Gagal": failed, scope route (APIGames documents no message that would
 *   prove the destination itself wrong: its example reason is the provider's `error_require_login`);
 * - a refusal envelope (`{status: 0, error_msg}`) to a purchase: pending and ambiguous. APIGames
 *   documents none of them as "nothing was created" and RULINGS allows only "Gagal" to fail, so
 *   a refusal never fails an attempt over; signature / merchant refusals alert the operator (the
 *   credentials are wrong), and so does any other refusal except a reference already taken.
 */

const clip = (s: string | null | undefined, n = 200) => (s ?? '').replace(/\s+/g, ' ').trim().slice(0, n);

export function purchaseAnswer(answer: HttpAnswer, ref: string): SupplierOutcome {
  const unsure = unanswered(answer);
  if (unsure) return unsure;
  const a = answer as Extract<HttpAnswer, { kind: 'answered' }>;
  const ok = okEnvelope(transactionSchema).safeParse(a.json);
  if (ok.success) return transactionOutcome(ok.data.data, ref);
  const err = errorEnvelope.safeParse(a.json);
  if (err.success) {
    const said = clip(err.data.error_msg) || 'refused without a message';
    if (DUPLICATE_REF.test(said)) return { kind: 'pending', ambiguous: true, reason: `refused: ${said}` };
    const alert = ACCOUNT_REFUSAL.test(said)
      ? `APIGames refused kios's credentials ("${said}") for ${ref}: check merchant_id and secret_key; the order stays pending until a status check settles it`
      : `APIGames refused the purchase ${ref} ("${said}"); it stays pending: APIGames documents only "Gagal" as a failure`;
    return { kind: 'pending', ambiguous: true, reason: `refused: ${said}`, alert };
  }
  return { kind: 'pending', ambiguous: true, reason: `unreadable answer (HTTP ${a.status})` };
}

export function statusAnswer(answer: HttpAnswer, ref: string): StatusOutcome {
  const unsure = unanswered(answer);
  if (unsure) return unsure;
  const a = answer as Extract<HttpAnswer, { kind: 'answered' }>;
  const ok = okEnvelope(transactionSchema).safeParse(a.json);
  if (ok.success) return transactionOutcome(ok.data.data, ref);
  const err = errorEnvelope.safeParse(a.json);
  if (err.success) {
    const said = clip(err.data.error_msg) || 'refused without a message';
    // Only an answer naming the transaction itself as unknown; "Merchant not found" is not one.
    if (TRANSACTION_NOT_FOUND.test(said)) return { kind: 'not_found' };
    if (ACCOUNT_REFUSAL.test(said)) return { kind: 'pending', ambiguous: true, reason: `status check refused: ${said}`, alert: `APIGames refused kios's credentials ("${said}"): check merchant_id and secret_key` };
    return { kind: 'pending', ambiguous: true, reason: `status check refused: ${said}` };
  }
  return { kind: 'pending', ambiguous: true, reason: `unreadable status answer (HTTP ${a.status})` };
}

/** "Every HTTP error and every network timeout is Pending" (APIGames, "Syarat & Ketentuan"). */
function unanswered(answer: HttpAnswer): SupplierOutcome | null {
  if (answer.kind === 'no_answer') return { kind: 'pending', ambiguous: true, reason: `no answer: ${answer.error}` };
  if (answer.status < 200 || answer.status >= 300) return { kind: 'pending', ambiguous: true, reason: `HTTP ${answer.status}` };
  return null;
}

/** A transaction (purchase answer, status answer or webhook body) about `ref` -> outcome. */
export function transactionOutcome(t: Transaction, ref: string): SupplierOutcome {
  if (t.ref_id === undefined) return { kind: 'pending', ambiguous: true, reason: 'an answer without ref_id' };
  if (t.ref_id !== ref) return { kind: 'pending', ambiguous: true, reason: `answer about another ref_id (${clip(t.ref_id, 60)})` };
  const word = t.status.trim();
  // The report line repeats the status ("R#ref ff5.4645, status SUKSES. ..."): a contradiction decides nothing.
  const line = /, status ([A-Za-z ]+?)\./.exec(t.message ?? '');
  if (line && line[1]!.trim().toLowerCase() !== word.toLowerCase()) return { kind: 'pending', ambiguous: true, reason: `status "${clip(word, 30)}" with report line "${clip(line[1], 30)}"` };
  const supplierRef = t.trx_id ? clip(t.trx_id, 100) : null;
  const about = `${ref}${supplierRef ? ` (APIGames ${supplierRef})` : ''}`;
  switch (word.toLowerCase()) {
    case STATUS.success.toLowerCase():
      return { kind: 'success', supplierRef, sn: clip(t.sn, 500) || null };
    case STATUS.failed.toLowerCase():
      return { kind: 'failed', code: STATUS.failed, scope: 'route', reason: `${STATUS.failed}: ${clip(t.sn) || clip(t.message) || 'failed at APIGames'}` };
    case STATUS.pending.toLowerCase():
    case STATUS.process.toLowerCase():
      return { kind: 'pending', supplierRef, reason: word };
    case STATUS.providerCheck.toLowerCase():
      return {
        kind: 'pending',
        supplierRef,
        reason: word,
        alert: `APIGames: Validasi Provider on ${about}: APIGames got no usable answer from the game provider; check the transaction in the APIGames member area (kios keeps it pending)`,
      };
    case STATUS.partial.toLowerCase():
      return {
        kind: 'pending',
        supplierRef,
        reason: word,
        alert: `APIGames: Sukses Sebagian on ${about}: only part of a bundled product was delivered and APIGames does not say how much; resolve this order by hand (kios keeps it pending, it does not guess a refund)`,
      };
    default:
      return { kind: 'pending', ambiguous: true, reason: `unknown status "${clip(word, 40)}"` };
  }
}

/** `cek-username` -> account check. Any doubt is "unavailable": the order goes on without a nickname. */
export function accountCheckAnswer(answer: HttpAnswer): AccountCheck {
  if (answer.kind === 'no_answer') return { kind: 'unavailable', reason: `no answer: ${answer.error}` };
  if (answer.status < 200 || answer.status >= 300) return { kind: 'unavailable', reason: `HTTP ${answer.status}` };
  const ok = okEnvelope(usernameSchema).safeParse(answer.json);
  if (ok.success) {
    const name = clip(ok.data.data.username, 100);
    if (ok.data.data.is_valid && name) return { kind: 'ok', nickname: name };
    if (!ok.data.data.is_valid) return { kind: 'not_found', reason: clip(ok.data.message) || 'Data Not Found' };
    return { kind: 'unavailable', reason: 'valid account without a username' };
  }
  const err = errorEnvelope.safeParse(answer.json);
  if (err.success) return { kind: 'unavailable', reason: `refused: ${clip(err.data.error_msg)}` };
  return { kind: 'unavailable', reason: `unreadable answer (HTTP ${answer.status})` };
}
