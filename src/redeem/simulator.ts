import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendJournal, readJournal } from '../connectors/kit/journal.js';
import type { CallContext } from '../connectors/types.js';
import type { BatchInput, CodeOutcome, RedeemEngine, ResultsAnswer, SubmitAnswer } from './engine.js';

/**
 * The built-in redeem engine: lets voucher-redeem projects run (and be tested) offline. It
 * behaves like a careful real engine: it deduplicates submissions by batch reference, remembers
 * every batch across restarts in a journal file (`DATA_DIR/redeem-simulator.ndjson`, written
 * before it answers, so a kios killed mid-call finds the batch there), and answers `results`.
 * The outcome is chosen by the code (case-insensitive):
 *
 * | code ends with | outcome                                                              |
 * |----------------|----------------------------------------------------------------------|
 * | `USED`         | error_voucher, note "Voucher sudah digunakan" (used)                  |
 * | `EXP`          | error_voucher, note "Voucher kedaluwarsa" (expired)                   |
 * | `BAD`          | error_voucher, note "Kode voucher tidak valid" (invalid)              |
 * | `ERR`          | engine fault on every submission: retried, then error_engine          |
 * | `ERR1`         | engine fault on its first submission, then success (nominal_gs 25)    |
 * | a digit 0–3    | success, nominal_gs 25                                                |
 * | a digit 4–6    | success, nominal_gs 50                                                |
 * | a digit 7–9    | success, nominal_gs 100                                               |
 * | anything else  | success, nominal_gs 25                                                |
 */

type JournalLine = { t: 'batch'; ref: string; at: number; outcomes: [string, CodeOutcome][] };

export const SIMULATOR_JOURNAL = 'redeem-simulator.ndjson';

export function simulatedOutcome(code: string, earlierFaults: number): CodeOutcome {
  const c = code.toUpperCase();
  if (c.endsWith('USED')) return { kind: 'rejected', reason: 'used', note: 'Voucher sudah digunakan' };
  if (c.endsWith('EXP')) return { kind: 'rejected', reason: 'expired', note: 'Voucher kedaluwarsa' };
  if (c.endsWith('BAD')) return { kind: 'rejected', reason: 'invalid', note: 'Kode voucher tidak valid' };
  if (c.endsWith('ERR')) return { kind: 'fault', note: 'Simulator: engine sedang gangguan' };
  if (c.endsWith('ERR1')) return earlierFaults === 0 ? { kind: 'fault', note: 'Simulator: engine sedang gangguan (sekali)' } : { kind: 'success', nominalGs: 25 };
  const last = c.at(-1) ?? '';
  const nominalGs = /[0-3]/.test(last) ? 25 : /[4-6]/.test(last) ? 50 : /[7-9]/.test(last) ? 100 : 25;
  return { kind: 'success', nominalGs };
}

export class SimulatorRedeemEngine implements RedeemEngine {
  readonly kind = 'simulator';
  readonly maxBatch = 200;
  readonly concurrency = 4;
  readonly findsByRef = true;
  readonly #batches = new Map<string, Map<string, CodeOutcome>>();
  /** Faults per code so far (an `ERR1` code faults once). */
  readonly #faults = new Map<string, number>();
  #offset = 0;

  constructor(
    private readonly journalPath: string,
    private readonly latencyMs: number,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dirname(journalPath), { recursive: true });
    this.#read();
  }

  async submit(batch: BatchInput, call: CallContext): Promise<SubmitAnswer> {
    const started = performance.now();
    if (!this.#batches.has(batch.ref)) this.#read(); // another process may have taken it
    let outcomes = this.#batches.get(batch.ref);
    if (!outcomes) {
      outcomes = new Map();
      for (const code of batch.codes) outcomes.set(code, simulatedOutcome(code, this.#faults.get(code) ?? 0));
      // Journaled before answering, as a real engine commits before it replies: the window in
      // which the engine has the batch and kios does not know yet is real here too.
      this.#remember(batch.ref, outcomes);
      appendJournal(this.journalPath, { t: 'batch', ref: batch.ref, at: this.now(), outcomes: [...outcomes] } satisfies JournalLine);
    }
    await this.#latency();
    call.exchanges.push({ method: 'SIM', url: 'simulator:redeem', request: JSON.stringify({ ref: batch.ref, codes: batch.codes.length }), response: `${outcomes.size} outcomes`, ms: Math.round(performance.now() - started) });
    return { kind: 'accepted', engineRef: batch.ref, outcomes };
  }

  async results(batch: BatchInput, call: CallContext): Promise<ResultsAnswer> {
    const started = performance.now();
    await this.#latency();
    if (!this.#batches.has(batch.ref)) this.#read();
    const outcomes = this.#batches.get(batch.ref);
    call.exchanges.push({ method: 'SIM', url: 'simulator:results', request: JSON.stringify({ ref: batch.ref }), response: outcomes ? `${outcomes.size} outcomes` : 'not found', ms: Math.round(performance.now() - started) });
    return outcomes ? { kind: 'results', outcomes } : { kind: 'not_found' };
  }

  /** How many submissions each code received, from the journal (tests: at most once per success). */
  static submissions(journalPath: string): Map<string, { total: number; successes: number }> {
    const counts = new Map<string, { total: number; successes: number }>();
    for (const line of readLines(journalPath, 0).lines) {
      for (const [code, o] of line.outcomes) {
        const c = counts.get(code) ?? { total: 0, successes: 0 };
        c.total += 1;
        if (o.kind === 'success') c.successes += 1;
        counts.set(code, c);
      }
    }
    return counts;
  }

  #remember(ref: string, outcomes: Map<string, CodeOutcome>): void {
    this.#batches.set(ref, outcomes);
    for (const [code, o] of outcomes) if (o.kind === 'fault') this.#faults.set(code, (this.#faults.get(code) ?? 0) + 1);
  }

  #read(): void {
    const { lines, offset } = readLines(this.journalPath, this.#offset);
    this.#offset = offset;
    for (const l of lines) if (!this.#batches.has(l.ref)) this.#remember(l.ref, new Map(l.outcomes));
  }

  async #latency(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }
}

function readLines(path: string, from: number): { lines: JournalLine[]; offset: number } {
  const r = readJournal<JournalLine>(path, from);
  return { lines: r.lines.filter((l) => l.t === 'batch' && typeof l.ref === 'string' && Array.isArray(l.outcomes)), offset: r.offset };
}
