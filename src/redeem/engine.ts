import type { CallContext } from '../connectors/types.js';

/**
 * The contract of a redeem engine: what turns Kiosgamer voucher codes into Garena Shells on the
 * reseller's own Kiosgamer account. Engines are stateless translators, like supplier connectors:
 * they never touch the database; `src/redeem/process.ts` owns persistence, money and retries.
 *
 * Codes travel in batches. A batch has a reference chosen by kios (`<project id>-<n>`) and is
 * submitted once; its outcomes are then read with `results` (an engine may also answer them at
 * once, in `submit`'s answer).
 *
 * Safety rules every engine follows:
 * - Final means final. `success` (with its `nominalGs`) and `rejected` (the code is used, invalid
 *   or expired) are said only when the engine says so explicitly; kios never sends that code
 *   again. Anything unsure about a code is `pending`.
 * - `fault` is for a code the engine says it could not handle now (its own failure, nothing
 *   redeemed): kios sends the code again later, in a new batch, with back-off, and gives up
 *   (error_engine) only after its retries are spent.
 * - `refused` (the whole submission) only when the answer proves that nothing of the batch was
 *   taken (an explicit error envelope: bad signature, bad session key, engine busy): every code of
 *   the batch is then a `fault`. An answer that does not prove it (timeout, 5xx, an unreadable
 *   reply) is `unsure`: the batch may have been taken.
 * - At most once per success: a batch is re-submitted only when the engine can be asked about it
 *   by kios's reference (`findsByRef`) and `results` answered `not_found`. An engine that cannot
 *   be asked (APIGames gives its own project id only in the answer) never gets an unsure batch
 *   again: its codes end error_engine with a note, for the operator (`kios redeem retry`).
 * - The session key is handed over per call and never logged, recorded or kept by the engine;
 *   recorded exchanges mask it.
 */

/** Why an engine rejected a code: it will never redeem, whoever asks again. */
export type RejectReason = 'used' | 'invalid' | 'expired';

export type CodeOutcome =
  | { kind: 'success'; nominalGs: number; note?: string; raw?: string }
  | { kind: 'rejected'; reason: RejectReason; note: string; raw?: string }
  | { kind: 'fault'; note: string; raw?: string }
  | { kind: 'pending'; note?: string; raw?: string };

export interface BatchInput {
  /** kios's reference of the batch, `<project id>-<n>`: what an engine that can deduplicates on. */
  ref: string;
  /** The engine's own reference, when an earlier answer gave one. */
  engineRef: string | null;
  codes: string[];
  /** The reseller's Kiosgamer session key (decrypted for this call only), when it gave one. */
  sessionKey: string | null;
}

export type SubmitAnswer =
  /** Taken. `outcomes` (by code) may already decide some or all codes. */
  | { kind: 'accepted'; engineRef: string | null; outcomes?: Map<string, CodeOutcome> }
  /** Explicitly not taken: nothing of the batch was redeemed. */
  | { kind: 'refused'; note: string }
  /** May or may not have been taken. */
  | { kind: 'unsure'; note: string };

export type ResultsAnswer =
  | { kind: 'results'; outcomes: Map<string, CodeOutcome> }
  /** The engine has no batch under this reference: it never arrived. Only from engines that `findsByRef`. */
  | { kind: 'not_found' }
  /** No usable answer now (timeout, 5xx): ask again later. */
  | { kind: 'unsure'; note: string };

export interface RedeemEngine {
  /** `simulator`, `apigames`. */
  readonly kind: string;
  /** Most codes one submission carries. */
  readonly maxBatch: number;
  /** Most engine calls in flight at once per process (across every project it serves). */
  readonly concurrency: number;
  /** Whether `results` finds a batch by kios's reference alone (so an unsure submission may be re-sent after `not_found`). */
  readonly findsByRef: boolean;
  submit(batch: BatchInput, call: CallContext): Promise<SubmitAnswer>;
  results(batch: BatchInput, call: CallContext): Promise<ResultsAnswer>;
}
