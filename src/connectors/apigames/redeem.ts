import { z } from 'zod';
import type { SupplierHttp, HttpAnswer } from '../kit/http.js';
import type { CallContext } from '../types.js';
import type { BatchInput, CodeOutcome, RedeemEngine, ResultsAnswer, SubmitAnswer } from '../../redeem/engine.js';
import { errorEnvelope, usernameSign } from './protocol.js';

/**
 * APIGames's bulk Kiosgamer redeem as a redeem engine (RULINGS sections 3 and 4):
 * - submit: `POST /merchant/{mid}/kiosgamer/redem/bulk` with `{kode_voucher: base64 of the codes
 *   joined by newlines, session_key, signature: md5(mid + secret)}`; the answer names APIGames's
 *   own project (`data.project_id`), the batch's engine reference;
 * - results: `POST /merchant/{mid}/kiosgamer/project/detail` with `{projectid, status: "", page,
 *   limit, signature}`, paged until `total_page`; each voucher's `status` is read with the
 *   numbers of RULINGS section 3 (0 pending, 1 success, 2 process, 3 error_engine,
 *   4 error_voucher), which kios serves too: APIGames publishes only pending (0).
 *
 * APIGames takes no reference of ours, so a submission whose answer was lost cannot be found
 * again (`findsByRef: false`): such a batch is never re-sent by kios (see engine.ts). The session
 * key goes into the request body only; recorded exchanges mask it with the secret key.
 */

const DETAIL_LIMIT = 500;

const voucherSchema = z.object({
  voucher_code: z.string().max(200),
  status: z.union([z.number().int(), z.string().regex(/^\d$/).transform(Number)]),
  nominal_gs: z.union([z.number().int(), z.string().regex(/^\d{1,9}$/).transform(Number)]).nullable().optional(),
  note: z.string().max(2000).nullable().optional(),
});

const bulkAnswer = z.object({
  status: z.literal(1),
  data: z.object({ project_id: z.string().min(1).max(100) }).passthrough(),
});

const detailAnswer = z.object({
  status: z.literal(1),
  data: z.object({
    current_page: z.union([z.number(), z.string()]).optional(),
    data: z.object({ vouchers: z.array(voucherSchema).max(10_000) }).passthrough(),
    total_page: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  }),
});

export interface ApigamesRedeemConfig {
  merchant_id: string;
  secret_key: string;
}

export class ApigamesRedeemEngine implements RedeemEngine {
  readonly kind = 'apigames';
  readonly maxBatch = 1000;
  readonly concurrency = 2;
  readonly findsByRef = false;

  constructor(
    private readonly config: ApigamesRedeemConfig,
    private readonly http: SupplierHttp,
  ) {}

  async submit(batch: BatchInput, call: CallContext): Promise<SubmitAnswer> {
    const { merchant_id, secret_key } = this.config;
    const body = {
      kode_voucher: Buffer.from(batch.codes.join('\n'), 'utf8').toString('base64'),
      session_key: batch.sessionKey ?? '',
      signature: usernameSign(merchant_id, secret_key),
    };
    const answer = await this.#send(call, `/merchant/${encodeURIComponent(merchant_id)}/kiosgamer/redem/bulk`, body, batch.sessionKey);
    if (answer.kind === 'no_answer') return { kind: 'unsure', note: `no answer: ${answer.error}` };
    const ok = bulkAnswer.safeParse(answer.json);
    if (ok.success && answer.status >= 200 && answer.status < 300) return { kind: 'accepted', engineRef: ok.data.data.project_id };
    const err = errorEnvelope.safeParse(answer.json);
    // An explicit APIGames refusal (signature, merchant, session key, busy) took nothing.
    if (err.success && answer.status < 500) return { kind: 'refused', note: `APIGames: ${err.data.error_msg.slice(0, 200)}` };
    return { kind: 'unsure', note: `HTTP ${answer.status}: unreadable answer` };
  }

  async results(batch: BatchInput, call: CallContext): Promise<ResultsAnswer> {
    if (!batch.engineRef) return { kind: 'unsure', note: 'no APIGames project id known for this batch' };
    const { merchant_id, secret_key } = this.config;
    const outcomes = new Map<string, CodeOutcome>();
    for (let page = 1; ; page++) {
      const body = { projectid: batch.engineRef, status: '', page, limit: DETAIL_LIMIT, signature: usernameSign(merchant_id, secret_key) };
      const answer = await this.#send(call, `/merchant/${encodeURIComponent(merchant_id)}/kiosgamer/project/detail`, body, batch.sessionKey);
      if (answer.kind === 'no_answer') return { kind: 'unsure', note: `no answer: ${answer.error}` };
      const ok = detailAnswer.safeParse(answer.json);
      if (!ok.success || answer.status >= 300) {
        const err = errorEnvelope.safeParse(answer.json);
        return { kind: 'unsure', note: err.success ? `APIGames: ${err.data.error_msg.slice(0, 200)}` : `HTTP ${answer.status}: unreadable answer` };
      }
      for (const v of ok.data.data.data.vouchers) outcomes.set(v.voucher_code, voucherOutcome(v));
      if (page >= ok.data.data.total_page || ok.data.data.data.vouchers.length === 0 || page >= 100) break;
    }
    return { kind: 'results', outcomes };
  }

  async #send(call: CallContext, path: string, json: unknown, sessionKey: string | null): Promise<HttpAnswer> {
    const answer = await this.http.send(call, { method: 'POST', path, json });
    // The session key is not one of the account's configured secrets: mask it in what was recorded.
    if (sessionKey && sessionKey.length >= 4) {
      for (const e of call.exchanges) {
        if (e.request) e.request = e.request.split(sessionKey).join('***');
        if (e.response) e.response = e.response.split(sessionKey).join('***');
      }
    }
    return answer;
  }
}

export function voucherOutcome(v: z.infer<typeof voucherSchema>): CodeOutcome {
  const note = v.note && v.note !== '-' ? v.note : '';
  const raw = JSON.stringify(v);
  switch (v.status) {
    case 1:
      return { kind: 'success', nominalGs: v.nominal_gs ?? 0, note, raw };
    case 3:
      return { kind: 'fault', note: note || 'APIGames: error_engine', raw };
    case 4: {
      const reason = /used|digunakan|terpakai/i.test(note) ? 'used' : /expired|kedaluwarsa|kadaluarsa|kadaluwarsa/i.test(note) ? 'expired' : 'invalid';
      return { kind: 'rejected', reason, note: note || 'APIGames: error_voucher', raw };
    }
    default:
      return { kind: 'pending', note, raw };
  }
}
