import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Job, JobKind } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { JobQueue, JobSignal } from '../jobs/queue.js';

/** What a handler decided; the worker writes it back to the job row. */
export type JobResult = { kind: 'done' } | { kind: 'retry'; at: number; error?: string } | { kind: 'dead'; error: string };

export type JobHandler = (job: Job) => Promise<JobResult>;

export interface WorkerOptions {
  queue: JobQueue;
  signal: JobSignal;
  handlers: Record<JobKind, JobHandler>;
  concurrency: number;
  pollMs: number;
  leaseMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Claims due jobs and runs their handlers, at most `concurrency` at a time. Handlers do their
 * network calls outside any transaction and must be idempotent: after a crash a job runs again.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #inflight = new Set<Promise<void>>();
  #running = false;
  #wake: (() => void) | null = null;
  /** Set by a wake-up that arrived while not sleeping, so it is not lost. */
  #signalled = false;
  #loop: Promise<void> | null = null;
  readonly #onSignal = () => {
    this.#signalled = true;
    this.#wake?.();
  };

  constructor(private readonly o: WorkerOptions) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.o.signal.on('jobs', this.#onSignal);
    this.#loop = this.#run();
  }

  /** Stops claiming, then waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.o.signal.off('jobs', this.#onSignal);
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#inflight]);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#signalled = false;
      const free = this.o.concurrency - this.#inflight.size;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await this.o.queue.claim(this.id, free, this.o.clock(), this.o.leaseMs);
        } catch (err) {
          this.o.log.error({ err }, 'claiming jobs failed');
        }
      }
      for (const job of claimed) {
        const p = this.#execute(job).finally(() => {
          this.#inflight.delete(p);
          this.#onSignal();
        });
        this.#inflight.add(p);
      }
      if (claimed.length > 0 && claimed.length === free) continue;
      const idle = await this.#idleMs();
      if (this.#signalled || !this.#running) continue;
      await this.#sleep(idle);
    }
  }

  async #idleMs(): Promise<number> {
    if (this.#inflight.size >= this.o.concurrency) return this.o.pollMs;
    try {
      const next = await this.o.queue.nextRunAt();
      if (next !== null) return Math.max(5, Math.min(this.o.pollMs, next - this.o.clock()));
    } catch {
      // fall back to polling
    }
    return this.o.pollMs;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  async #execute(job: Job): Promise<void> {
    const handler = this.o.handlers[job.kind];
    // The lease is renewed while the handler runs, so a slow supplier never lets a second
    // worker claim the same job; only a dead worker's lease runs out.
    const heartbeat = setInterval(() => {
      this.o.queue.renewLease(job, this.id, this.o.clock(), this.o.leaseMs).then(
        (held) => {
          if (!held) this.o.log.warn({ job: job.id }, 'lost the lease of a running job');
        },
        (err: unknown) => this.o.log.warn({ err, job: job.id }, 'renewing a job lease failed'),
      );
    }, Math.max(250, Math.floor(this.o.leaseMs / 3)));
    let result: JobResult;
    try {
      result = handler ? await handler(job) : { kind: 'dead', error: `no handler for job kind ${job.kind}` };
    } catch (err) {
      // An unexpected error is retried with a growing delay; handlers report expected failures.
      const delay = Math.min(60_000 * 30, 1000 * 2 ** Math.min(job.attempts, 11));
      this.o.log.error({ err, job: job.id, kind: job.kind }, 'job handler failed');
      result = { kind: 'retry', at: this.o.clock() + delay, error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearInterval(heartbeat);
    }
    const now = this.o.clock();
    try {
      if (result.kind === 'done') await this.o.queue.complete(job, this.id, now);
      else if (result.kind === 'retry') await this.o.queue.retry(job, this.id, result.at, result.error ?? null, now);
      else await this.o.queue.bury(job, this.id, result.error, now);
    } catch (err) {
      // The lease will expire and the job run again; handlers are idempotent.
      this.o.log.error({ err, job: job.id }, 'recording job result failed');
    }
  }
}
