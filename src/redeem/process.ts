import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { CallContext } from '../connectors/types.js';
import type { Db } from '../db/index.js';
import type { Database, Job, RedeemBatch, RedeemProject, RedeemVoucher } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { JobSignal } from '../jobs/queue.js';
import { chargeRedeemFee } from '../ledger/redeem-fee.js';
import type { SecretBox } from '../security/secret-box.js';
import type { JobResult } from '../worker/worker.js';
import type { BatchInput, CodeOutcome, RedeemEngine, ResultsAnswer, SubmitAnswer } from './engine.js';
import { completeIn } from './complete.js';
import { NO_NOTE, VOUCHER_STATUS } from './statuses.js';

/** Engine submissions of one voucher before an engine fault is final (error_engine). */
export const MAX_ENGINE_TRIES = 5;
/** Longest wait between two result polls of a batch at the engine. */
const POLL_MAX_MS = 60_000;
/** Batches one job run handles before it yields the worker slot to other jobs. */
const BATCHES_PER_RUN = 25;

/**
 * The processing job of one redeem project: sends its pending vouchers to the project's engine
 * in batches, applies what the engine says, charges the fee of each success, and closes the
 * project (with its completion callback) when every voucher is final.
 *
 * Crash safety: a batch is committed as `sending` (its vouchers `process`, their tries counted)
 * before it is submitted, under the reference `<project id>-<n>`. A run that finds a batch
 * `sending` does not know whether the engine got it. An engine that can be asked by our
 * reference (the simulator) is asked, and the batch is re-submitted (same reference, which the
 * engine deduplicates) only when the engine has never heard of it. An engine that cannot
 * (APIGames names its own project only in its answer) never gets that batch again: its vouchers
 * end error_engine with a note saying so, for the operator to check and `kios redeem retry`.
 * So a code is submitted again only after the engine said explicitly that it did not redeem it
 * (a fault, a refused submission, a batch it never received), never after a success or on a
 * guess: at most one submission per success. Every engine answer is applied in one transaction
 * with compare-and-set on each voucher's `process` status and batch: a voucher leaves `process`
 * once, so a success is recorded and its fee charged once (the ledger's unique reference
 * `redeem-fee:<voucher id>` backs this up); a SIGKILL before that commit leaves the batch as it
 * was, and the next run asks again. The closing of the project and its callback job commit with
 * the last voucher's outcome.
 *
 * Money: a voucher's fee is charged when it succeeds, never when it fails. Before a batch goes
 * out, the reseller's balance must cover the fees of every voucher in flight plus the batch's;
 * the vouchers it cannot cover stay pending with a note saying so, and are sent once the balance
 * is topped up. Should the balance still fall short when a success arrives (an order spent it
 * meanwhile), the voucher is success with its fee owed (`fee_entry` null) and nothing more is sent
 * for that reseller until the owed fees are collected.
 */
export class RedeemProcessor {
  readonly #inFlight = new WeakMap<RedeemEngine, { running: number; waiters: (() => void)[] }>();

  constructor(
    private readonly d: {
      db: Db;
      secrets: SecretBox;
      signal: JobSignal;
      clock: Clock;
      engines: (engine: string) => Promise<RedeemEngine>;
      /** Back-off between engine retries and result polls (the supplier re-check schedule). */
      scheduleMs: number[];
      engineTimeoutMs: number;
      callbackFirstDelayMs: number;
      log: Logger;
    },
  ) {}

  readonly handle = async (job: Job): Promise<JobResult> => {
    const { projectSeq } = JSON.parse(job.payload) as { projectSeq?: number };
    if (typeof projectSeq !== 'number') return { kind: 'dead', error: 'redeem job without project' };
    let engine: RedeemEngine;
    const first = await this.#project(projectSeq);
    if (!first) return { kind: 'dead', error: `redeem project ${projectSeq} not found` };
    if (first.status === 'done') return { kind: 'done' };
    try {
      engine = await this.d.engines(first.engine);
    } catch (err) {
      // A misconfigured engine is the operator's to fix: the vouchers wait, nothing is failed.
      return { kind: 'retry', at: this.d.clock() + this.#delay(job.attempts), error: `redeem engine unavailable: ${(err as Error).message}` };
    }

    let waitUntil: number | null = null;
    for (let step = 0; step < BATCHES_PER_RUN; step++) {
      const project = await this.#project(projectSeq);
      if (!project || project.status === 'done') return { kind: 'done' };

      // 1. Batches already out: ask, apply, re-send only what never arrived.
      // (Once per run: batches this run sends are followed by the next run, not polled 25 times.)
      const open = step > 0 ? [] : await this.d.db.kysely.selectFrom('redeem_batches').selectAll().where('project_seq', '=', project.seq).where('state', '<>', 'done').orderBy('created_at').execute();
      for (const batch of open) await this.#follow(project, engine, batch);

      // 2. The next batch of due pending vouchers.
      const sent = await this.#dispatch(project, engine);
      if (sent.kind === 'wait') waitUntil = minTime(waitUntil, sent.until);

      if (await this.#closeIfFinal(project)) return { kind: 'done' };
      if (sent.kind === 'sent') continue;
      // Batches still undecided at the engine (sent by this run or earlier) are polled again, at
      // most a minute apart however long the project has run: engines answer within minutes.
      const undecided = await this.d.db.kysely.selectFrom('redeem_batches').select('id').where('project_seq', '=', project.seq).where('state', '<>', 'done').limit(1).executeTakeFirst();
      const pollLater = undecided !== undefined;
      if (pollLater) waitUntil = minTime(waitUntil, this.d.clock() + Math.min(POLL_MAX_MS, this.#delay(job.attempts - 1)));
      if (sent.kind === 'none') {
        const next = await this.d.db.kysely
          .selectFrom('redeem_vouchers')
          .select((eb) => eb.fn.min('next_at').as('next'))
          .where('project_seq', '=', project.seq)
          .where('status', '=', VOUCHER_STATUS.pending)
          .executeTakeFirst();
        if (next?.next !== null && next?.next !== undefined) waitUntil = minTime(waitUntil, Number(next.next));
      }
      return { kind: 'retry', at: waitUntil ?? this.d.clock() + this.#delay(job.attempts), error: pollLater ? 'waiting for the engine' : undefined };
    }
    return { kind: 'retry', at: this.d.clock(), error: undefined };
  };

  #project(seq: number): Promise<RedeemProject | undefined> {
    return this.d.db.kysely.selectFrom('redeem_projects').selectAll().where('seq', '=', seq).executeTakeFirst();
  }

  /** Returns false while the batch is still undecided at the engine. */
  async #follow(project: RedeemProject, engine: RedeemEngine, batch: RedeemBatch): Promise<boolean> {
    const input = await this.#input(project, batch);
    if (batch.state === 'sending' && !engine.findsByRef) {
      await this.#giveUpUnsure(project, batch, 'Tidak diketahui apakah engine menerima voucher ini (jawaban hilang); periksa di engine, lalu kios redeem retry');
      return true;
    }
    const answer = await this.#call(engine, (call) => engine.results(input, call));
    if (answer.kind === 'unsure') return false;
    if (answer.kind === 'not_found') {
      if (batch.state === 'sending') {
        // The engine never received it: submitting it now cannot redeem anything twice.
        return this.#submit(project, engine, batch, input);
      }
      await this.#applyOutcomes(project, batch, new Map(input.codes.map((c) => [c, { kind: 'fault', note: 'Engine tidak mengenal batch ini lagi' } as CodeOutcome])), null);
      return true;
    }
    return this.#applyOutcomes(project, batch, answer.outcomes, batch.engine_ref);
  }

  async #submit(project: RedeemProject, engine: RedeemEngine, batch: RedeemBatch, input: BatchInput): Promise<boolean> {
    const answer: SubmitAnswer = await this.#call(engine, (call) => engine.submit(input, call));
    switch (answer.kind) {
      case 'accepted':
        return this.#applyOutcomes(project, batch, answer.outcomes ?? new Map(), answer.engineRef);
      case 'refused':
        await this.#applyOutcomes(project, batch, new Map(input.codes.map((c) => [c, { kind: 'fault', note: answer.note } as CodeOutcome])), null);
        return true;
      case 'unsure':
        if (engine.findsByRef) return false; // asked again by reference on the next run
        await this.#giveUpUnsure(project, batch, `Tidak diketahui apakah engine menerima voucher ini (${answer.note}); periksa di engine, lalu kios redeem retry`);
        return true;
    }
  }

  /**
   * Picks the next due pending vouchers (at most one engine batch), commits them as a `sending`
   * batch, then submits it. Vouchers already redeemed in another project of the reseller since
   * intake end error_voucher here, without the engine.
   */
  async #dispatch(project: RedeemProject, engine: RedeemEngine): Promise<{ kind: 'sent' } | { kind: 'none' } | { kind: 'wait'; until: number }> {
    const now = this.d.clock();
    const picked = await this.d.db.transaction(async (trx) => {
      const candidates = await trx
        .selectFrom('redeem_vouchers')
        .selectAll()
        .where('project_seq', '=', project.seq)
        .where('status', '=', VOUCHER_STATUS.pending)
        .where('next_at', '<=', now)
        .orderBy('n')
        .limit(engine.maxBatch)
        .execute();
      if (candidates.length === 0) return null;

      const elsewhere = await trx
        .selectFrom('redeem_vouchers as v')
        .innerJoin('redeem_projects as p', 'p.seq', 'v.project_seq')
        .select(['v.code', 'p.project_id'])
        .where('v.reseller_id', '=', project.reseller_id)
        .where('v.status', '=', VOUCHER_STATUS.success)
        .where('v.code', 'in', candidates.map((c) => c.code))
        .execute();
      const done = new Map(elsewhere.map((e) => [e.code, e.project_id]));
      for (const v of candidates.filter((c) => done.has(c.code))) {
        await trx
          .updateTable('redeem_vouchers')
          .set({ status: VOUCHER_STATUS.error_voucher, note: `Voucher sudah berhasil di-redeem di project ${done.get(v.code)}`, fee: 0, updated_at: now })
          .where('id', '=', v.id)
          .where('status', '=', VOUCHER_STATUS.pending)
          .execute();
      }
      let batch = candidates.filter((c) => !done.has(c.code));

      if (project.fee > 0 && batch.length > 0) {
        const affordable = await this.#affordable(trx, project, now);
        if (affordable < batch.length) {
          const waiting = batch.slice(Math.max(affordable, 0));
          const balance = (await trx.selectFrom('resellers').select('balance').where('id', '=', project.reseller_id).executeTakeFirstOrThrow()).balance;
          const note = `Menunggu saldo: saldo Rp ${balance} tidak cukup untuk biaya redeem Rp ${project.fee} per voucher; isi saldo untuk melanjutkan`;
          await trx.updateTable('redeem_vouchers').set({ note, updated_at: now }).where('id', 'in', waiting.map((v) => v.id)).where('status', '=', VOUCHER_STATUS.pending).execute();
          batch = batch.slice(0, Math.max(affordable, 0));
          if (batch.length === 0) return { wait: true as const };
        }
      }
      if (batch.length === 0) return { none: true as const };

      const count = await trx.selectFrom('redeem_batches').select((eb) => eb.fn.countAll<number | string>().as('n')).where('project_seq', '=', project.seq).executeTakeFirstOrThrow();
      const id = `${project.project_id}-${Number(count.n) + 1}`;
      const row: RedeemBatch = { id, project_seq: project.seq, engine: project.engine, state: 'sending', engine_ref: null, size: batch.length, created_at: now, updated_at: now };
      await trx.insertInto('redeem_batches').values(row).execute();
      for (let i = 0; i < batch.length; i += 500) {
        await trx
          .updateTable('redeem_vouchers')
          .set((eb) => ({ status: VOUCHER_STATUS.process, batch_id: id, tries: eb('tries', '+', 1), note: NO_NOTE, updated_at: now }))
          .where('id', 'in', batch.slice(i, i + 500).map((v) => v.id))
          .where('status', '=', VOUCHER_STATUS.pending)
          .execute();
      }
      return { batch: row, codes: batch.map((v) => v.code) };
    });
    if (!picked) return { kind: 'none' };
    if ('wait' in picked) return { kind: 'wait', until: now + this.#balanceWaitMs() };
    if ('none' in picked) return { kind: 'sent' }; // only vouchers settled without the engine: look again
    const input = await this.#input(project, picked.batch, picked.codes);
    await this.#submit(project, engine, picked.batch, input);
    return { kind: 'sent' };
  }

  /**
   * How many more vouchers' fees the balance covers, counting the fees of vouchers already in
   * flight and collecting owed fees first (none is sent while one stays owed).
   */
  async #affordable(trx: Transaction<Database>, project: RedeemProject, now: number): Promise<number> {
    const owed = await trx
      .selectFrom('redeem_vouchers as v')
      .innerJoin('redeem_projects as p', 'p.seq', 'v.project_seq')
      .select(['v.id', 'v.fee', 'p.project_id'])
      .where('v.reseller_id', '=', project.reseller_id)
      .where('v.status', '=', VOUCHER_STATUS.success)
      .where('v.fee', '>', 0)
      .where('v.fee_entry', 'is', null)
      .limit(100)
      .execute();
    for (const o of owed) {
      const posted = await chargeRedeemFee(trx, { resellerId: project.reseller_id, voucherId: o.id, projectId: o.project_id, amount: o.fee, at: now });
      if (!posted) return 0;
      await trx.updateTable('redeem_vouchers').set({ fee_entry: posted.entryId, updated_at: now }).where('id', '=', o.id).execute();
    }
    const { balance } = await trx.selectFrom('resellers').select('balance').where('id', '=', project.reseller_id).executeTakeFirstOrThrow();
    const flying = await trx
      .selectFrom('redeem_vouchers')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('fee'), eb.val(0)).as('reserved'))
      .where('reseller_id', '=', project.reseller_id)
      .where('status', '=', VOUCHER_STATUS.process)
      .executeTakeFirstOrThrow();
    return Math.floor((balance - Number(flying.reserved)) / project.fee);
  }

  /**
   * Applies an engine's answer about a batch in one transaction. Returns whether the batch is
   * decided (no voucher of it left in `process`).
   */
  async #applyOutcomes(project: RedeemProject, batch: RedeemBatch, outcomes: Map<string, CodeOutcome>, engineRef: string | null): Promise<boolean> {
    const now = this.d.clock();
    const settled = await this.d.db.transaction(async (trx) => {
      const current = await trx.selectFrom('redeem_batches').select('state').where('id', '=', batch.id).executeTakeFirst();
      if (!current || current.state === 'done') return true; // another run decided it
      const vouchers = await trx.selectFrom('redeem_vouchers').selectAll().where('batch_id', '=', batch.id).where('status', '=', VOUCHER_STATUS.process).execute();
      let left = 0;
      // Vouchers with the same new fields are updated together: a batch is a few statements.
      const groups = new Map<string, { set: Partial<RedeemVoucher>; ids: number[] }>();
      const group = (set: Partial<RedeemVoucher>, id: number) => {
        const key = JSON.stringify(set);
        const g = groups.get(key) ?? { set, ids: [] };
        g.ids.push(id);
        groups.set(key, g);
      };
      for (const v of vouchers) {
        const o = outcomes.get(v.code) ?? { kind: 'pending' as const };
        switch (o.kind) {
          case 'success': {
            let feeEntry: string | null = null;
            if (v.fee > 0) {
              const posted = await chargeRedeemFee(trx, { resellerId: project.reseller_id, voucherId: v.id, projectId: project.project_id, amount: v.fee, at: now });
              feeEntry = posted?.entryId ?? null;
            }
            const set = { status: VOUCHER_STATUS.success, nominal_gs: o.nominalGs, note: o.note || 'Sukses', response_json: o.raw ?? '', batch_id: batch.id };
            if (feeEntry) await trx.updateTable('redeem_vouchers').set({ ...set, fee_entry: feeEntry, updated_at: now }).where('id', '=', v.id).where('status', '=', VOUCHER_STATUS.process).execute();
            else group(set, v.id);
            break;
          }
          case 'rejected':
            group({ status: VOUCHER_STATUS.error_voucher, note: o.note, response_json: o.raw ?? '' }, v.id);
            break;
          case 'fault':
            if (v.tries >= MAX_ENGINE_TRIES) group({ status: VOUCHER_STATUS.error_engine, note: `${o.note} (gagal setelah ${v.tries} percobaan)`, response_json: o.raw ?? '' }, v.id);
            else group({ status: VOUCHER_STATUS.pending, note: `Engine gangguan, dicoba lagi: ${o.note}`, batch_id: null, next_at: now + this.#delay(v.tries - 1) }, v.id);
            break;
          case 'pending':
            left += 1;
            break;
        }
      }
      for (const { set, ids } of groups.values()) {
        for (let i = 0; i < ids.length; i += 500) {
          await trx
            .updateTable('redeem_vouchers')
            .set({ ...set, updated_at: now })
            .where('id', 'in', ids.slice(i, i + 500))
            .where('status', '=', VOUCHER_STATUS.process)
            .execute();
        }
      }
      await trx
        .updateTable('redeem_batches')
        .set({ state: left === 0 ? 'done' : 'sent', engine_ref: engineRef ?? batch.engine_ref, updated_at: now })
        .where('id', '=', batch.id)
        .execute();
      if (left === 0) await this.#closeIn(trx, project, now);
      return left === 0;
    });
    this.d.signal.notify();
    return settled;
  }

  /** A batch that may or may not have reached an engine that cannot be asked: never re-sent by kios. */
  async #giveUpUnsure(project: RedeemProject, batch: RedeemBatch, note: string): Promise<void> {
    const now = this.d.clock();
    await this.d.db.transaction(async (trx) => {
      await trx
        .updateTable('redeem_vouchers')
        .set({ status: VOUCHER_STATUS.error_engine, note, updated_at: now })
        .where('batch_id', '=', batch.id)
        .where('status', '=', VOUCHER_STATUS.process)
        .execute();
      await trx.updateTable('redeem_batches').set({ state: 'done', updated_at: now }).where('id', '=', batch.id).execute();
      await this.#closeIn(trx, project, now);
    });
    this.d.log.warn({ project: project.project_id, batch: batch.id }, 'redeem batch outcome unknown: its vouchers are error_engine until the operator retries');
  }

  async #closeIfFinal(project: RedeemProject): Promise<boolean> {
    const now = this.d.clock();
    const closed = await this.d.db.transaction((trx) => this.#closeIn(trx, project, now));
    if (closed) this.d.signal.notify();
    return closed;
  }

  #closeIn(trx: Transaction<Database>, project: RedeemProject, now: number): Promise<boolean> {
    return completeIn(trx, { seq: project.seq, projectId: project.project_id, resellerId: project.reseller_id, rounds: 0 }, now, this.d.callbackFirstDelayMs);
  }

  async #input(project: RedeemProject, batch: RedeemBatch, codes?: string[]): Promise<BatchInput> {
    const list =
      codes ??
      (await this.d.db.kysely.selectFrom('redeem_vouchers').select('code').where('batch_id', '=', batch.id).where('status', '=', VOUCHER_STATUS.process).orderBy('n').execute()).map((r) => r.code);
    const fresh = await this.d.db.kysely.selectFrom('redeem_projects').select('session_key_enc').where('seq', '=', project.seq).executeTakeFirst();
    const sessionKey = fresh?.session_key_enc ? this.d.secrets.decrypt(fresh.session_key_enc) : null;
    return { ref: batch.id, engineRef: batch.engine_ref, codes: list, sessionKey };
  }

  /**
   * One engine call: at most `engine.concurrency` in flight per engine in this process, a hard
   * time limit, and any exception or silence read as "unsure" (never as a failure).
   */
  async #call<T extends SubmitAnswer | ResultsAnswer>(engine: RedeemEngine, fn: (call: CallContext) => Promise<T>): Promise<T | { kind: 'unsure'; note: string }> {
    const slot = this.#inFlight.get(engine) ?? { running: 0, waiters: [] };
    this.#inFlight.set(engine, slot);
    while (slot.running >= engine.concurrency) await new Promise<void>((r) => slot.waiters.push(r));
    slot.running += 1;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.d.engineTimeoutMs} ms`)), this.d.engineTimeoutMs);
      });
      return await Promise.race([fn({ exchanges: [] }), timeout]);
    } catch (err) {
      return { kind: 'unsure', note: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
      slot.running -= 1;
      slot.waiters.shift()?.();
    }
  }

  #delay(n: number): number {
    const s = this.d.scheduleMs;
    return s[Math.min(Math.max(n, 0), s.length - 1)] ?? 60_000;
  }

  /** How soon a project waiting for a top-up looks at the balance again. */
  #balanceWaitMs(): number {
    return Math.min(60_000, this.d.scheduleMs.at(-1) ?? 60_000);
  }
}

function minTime(a: number | null, b: number): number {
  return a === null ? b : Math.min(a, b);
}
