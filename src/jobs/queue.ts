import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type { Db, Queryable } from '../db/index.js';
import { Coalescer } from '../db/coalesce.js';
import { groupBy } from '../db/batched-read.js';
import { prepared, preparedRows } from '../db/prepared.js';
import type { Job, JobKind } from '../db/schema.js';
import { newId } from '../domain/ids.js';

/**
 * The database is the queue. A job row is written in the same transaction as the state change
 * that needs it (transactional outbox), so a side effect is never lost nor done for a change
 * that rolled back. Workers claim jobs with a lease; a worker that dies loses its lease and the
 * job is claimed again. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets many workers claim at once
 * without ever taking the same job; on SQLite the claim is a single atomic statement.
 */

export interface EnqueueInput {
  kind: JobKind;
  orderId?: string | null;
  /** At most one job per key, ever: a second enqueue with the same key is a no-op. */
  dedupeKey?: string | null;
  payload: unknown;
  runAt: number;
  now: number;
}

export async function enqueue(trx: Queryable, job: EnqueueInput): Promise<string> {
  const row = jobRow(job);
  await insertJob.changes(trx, row);
  return row.id;
}

/** `enqueue` for several jobs in one statement. */
export async function enqueueMany(trx: Queryable, jobs: EnqueueInput[]): Promise<void> {
  if (jobs.length === 0) return;
  await insertJobs.changes(trx, jobs.map(jobRow));
}

function jobRow(job: EnqueueInput): Job {
  return {
    id: newId('job'),
    kind: job.kind,
    order_id: job.orderId ?? null,
    dedupe_key: job.dedupeKey ?? null,
    payload: JSON.stringify(job.payload),
    status: 'queued',
    attempts: 0,
    run_at: job.runAt,
    locked_by: null,
    locked_until: null,
    last_error: null,
    wakeups: 0,
    created_at: job.now,
    updated_at: job.now,
  };
}

const insertJobs = preparedRows<Job>(
  {
    id: true,
    kind: true,
    order_id: true,
    dedupe_key: true,
    payload: true,
    status: true,
    attempts: true,
    run_at: true,
    locked_by: true,
    locked_until: true,
    last_error: true,
    wakeups: true,
    created_at: true,
    updated_at: true,
  },
  (q, rows) => q.insertInto('jobs').values(rows).onConflict((oc) => oc.column('dedupe_key').doNothing()),
);
const insertJob = prepared((q, job: Job) => q.insertInto('jobs').values(job).onConflict((oc) => oc.column('dedupe_key').doNothing()));

/**
 * Makes a queued job due now (a supplier callback arrived for its order). A worker holding the
 * job at this moment sees `wakeups` changed when it records its result, and makes the job due
 * at once instead of at its back-off time, so the wake-up is never lost. Returns whether a
 * queued job was found.
 */
export async function wake(trx: Queryable, dedupeKey: string, now: number): Promise<boolean> {
  const r = await trx
    .updateTable('jobs')
    .set({ run_at: sql<number>`case when run_at > ${now} then cast(${now} as bigint) else run_at end`, wakeups: sql<number>`wakeups + 1`, updated_at: now })
    .where('dedupe_key', '=', dedupeKey)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Wake-up after a commit that queued work: the local worker starts at once, and workers elsewhere
 * too through the publishers attached (PostgreSQL LISTEN/NOTIFY, the worker thread of `serve`).
 */
export class JobSignal extends EventEmitter {
  readonly #remotes: (() => void)[] = [];

  /** Also tells workers elsewhere: other processes (NOTIFY), a worker thread. */
  attachRemote(publish: () => void): void {
    this.#remotes.push(publish);
  }

  notify(): void {
    this.emit('jobs');
    for (const publish of this.#remotes) publish();
  }
}

export class JobQueue {
  /** Finished jobs, many to a statement (`Coalescer`): each worker's are fenced by its lease. */
  readonly #completions = new Coalescer<{ id: string; workerId: string; now: number }>(async (done) => {
    for (const [workerId, jobs] of groupBy(done, (d) => d.workerId)) {
      await this.db.kysely
        .updateTable('jobs')
        .set({ status: 'done', locked_by: null, locked_until: null, last_error: null, updated_at: Math.max(...jobs.map((j) => j.now)) })
        .where('id', 'in', jobs.map((j) => j.id))
        .where('locked_by', '=', workerId)
        .execute();
    }
  });

  constructor(private readonly db: Db) {}

  /** Claims up to `limit` due jobs for `workerId` until `now + leaseMs`; increments their attempts. */
  async claim(workerId: string, limit: number, now: number, leaseMs: number): Promise<Job[]> {
    const lock = this.db.supportsSkipLocked ? sql`for update skip locked` : sql``;
    const result = await sql<Job>`
      update jobs
         set locked_by = ${workerId}, locked_until = ${now + leaseMs}, attempts = attempts + 1, updated_at = ${now}
       where id in (
         select id from jobs
          where status = 'queued' and run_at <= ${now} and (locked_until is null or locked_until < ${now})
          order by run_at
          limit ${limit}
          ${lock}
       )
      returning *`.execute(this.db.kysely);
    return result.rows;
  }

  /** Extends a lease the worker still holds; false when it was lost (another worker has the job). */
  async renewLease(job: Job, workerId: string, now: number, leaseMs: number): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('jobs')
      .set({ locked_until: now + leaseMs })
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** The job is finished. Fenced by the lease owner: a worker whose lease was taken over is ignored. */
  complete(job: Job, workerId: string, now: number): Promise<void> {
    return this.#completions.push({ id: job.id, workerId, now });
  }

  /** Due again at `runAt`, or at once if the job was woken while this worker held it. */
  async retry(job: Job, workerId: string, runAt: number, error: string | null, now: number): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({
        run_at: sql<number>`case when wakeups <> ${job.wakeups} then cast(${now} as bigint) else cast(${runAt} as bigint) end`,
        locked_by: null,
        locked_until: null,
        last_error: error?.slice(0, 1000) ?? null,
        updated_at: now,
      })
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .execute();
  }

  /** Gives up: the job stays for inspection with its last error. */
  async bury(job: Job, workerId: string, error: string, now: number): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'dead', locked_by: null, locked_until: null, last_error: error.slice(0, 1000), updated_at: now })
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .execute();
  }

  /**
   * Frees every lease. Only for a single-writer database (SQLite) at start-up, where no other
   * worker can be alive: jobs of a killed process resume at once instead of after their lease.
   */
  async releaseAllLeases(now: number): Promise<number> {
    const r = await this.db.kysely
      .updateTable('jobs')
      .set({ locked_by: null, locked_until: null, updated_at: now })
      .where('status', '=', 'queued')
      .where('locked_by', 'is not', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** The earliest `run_at` of a queued job, so an idle worker can sleep exactly until then. */
  async nextRunAt(): Promise<number | null> {
    const row = await this.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('next'))
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }
}
