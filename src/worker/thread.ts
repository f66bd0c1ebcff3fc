import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config.js';
import { parseDatabaseUrl } from '../db/index.js';
import { SharedWriteLock } from '../db/sqlite-group-commit.js';
import { resolve } from 'node:path';

/**
 * `kios serve` with API and worker in one process: the worker (fulfilment, callbacks, periodic
 * tasks) runs in a worker thread, a kios of its own on the same database, so HTTP and intake have
 * the main thread's core and fulfilment the other. One JavaScript thread doing both was the bound
 * on intake with the worker running (README, "Benchmarks").
 *
 * Nothing about safety changes: the thread is the same worker a `--role worker` process runs,
 * claiming jobs with leases from the same database. The main thread wakes it after every commit
 * that queued work (a message instead of LISTEN/NOTIFY); on SQLite both threads' write batches
 * take turns through one lock in shared memory (`SharedWriteLock`). If the thread dies, the
 * process exits with an error rather than keep taking orders nobody fulfils: a supervisor
 * restarts it, and its jobs are picked up where they were.
 */

/** Messages between the main thread and the worker thread. */
export type ToThread = { type: 'jobs' } | { type: 'metrics'; id: number } | { type: 'stop' };
export type FromThread = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] } | { type: 'stopped' };

export interface ThreadData {
  config: Config;
  /** SQLite: the main thread's write lock of the database file. */
  writeLock: { file: string; buffer: SharedArrayBuffer } | null;
}

export class WorkerThread {
  #metricsAsked = 0;
  readonly #metricsWaiting = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  #stopping = false;

  private constructor(
    private readonly thread: Thread,
    private readonly log: Logger,
  ) {}

  /** `entry` is the code the thread runs: the real worker, or in a test one that dies on cue. */
  static async start(config: Config, log: Logger, onDeath: (err: Error) => void, entry = threadEntry()): Promise<WorkerThread> {
    const db = parseDatabaseUrl(config.databaseUrl);
    const file = db.dialect === 'sqlite' && db.file !== ':memory:' ? resolve(db.file) : null;
    const data: ThreadData = {
      // The main thread serves the metrics (this thread's counters included) and has seeded the demo.
      config: { ...config, metricsPort: undefined, seedDemo: false },
      writeLock: file ? { file, buffer: SharedWriteLock.of(file).buffer } : null,
    };
    const thread = new Thread(entry.file, { workerData: data, name: 'kios-worker', eval: entry.eval });
    const started = new WorkerThread(thread, log);
    await new Promise<void>((ready, fail) => {
      const early = (err: Error) => fail(err);
      thread.once('error', early);
      thread.once('exit', (code) => fail(new Error(`the worker thread exited during start-up (code ${code})`)));
      thread.on('message', function first(m: FromThread) {
        if (m.type === 'ready') {
          thread.off('message', first);
          thread.off('error', early);
          thread.removeAllListeners('exit');
          ready();
        } else if (m.type === 'failed') fail(new Error(`the worker thread could not start: ${m.message}`));
      });
    });
    thread.on('message', (m: FromThread) => started.#receive(m));
    thread.on('error', (err) => log.error({ err }, 'the worker thread failed'));
    thread.on('exit', (code) => {
      if (!started.#stopping) onDeath(new Error(`the worker thread exited (code ${code})`));
    });
    return started;
  }

  /** Jobs were queued: the thread's worker claims them now instead of at its next poll. */
  wake(): void {
    this.thread.postMessage({ type: 'jobs' } satisfies ToThread);
  }

  /** The thread's own metrics (its supplier calls and callbacks), to merge into this process's. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    const id = ++this.#metricsAsked;
    return new Promise((resolve) => {
      this.#metricsWaiting.set(id, resolve);
      this.thread.postMessage({ type: 'metrics', id } satisfies ToThread);
    });
  }

  /** Stops claiming, lets the jobs in hand finish, and waits for the thread to end. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const ended = new Promise<void>((resolve) => this.thread.once('exit', () => resolve()));
    this.thread.postMessage({ type: 'stop' } satisfies ToThread);
    await ended;
    for (const waiting of this.#metricsWaiting.values()) waiting([]);
  }

  #receive(m: FromThread): void {
    if (m.type === 'metrics') {
      this.#metricsWaiting.get(m.id)?.(m.metrics);
      this.#metricsWaiting.delete(m.id);
    } else if (m.type === 'failed') this.log.error({ message: m.message }, 'the worker thread failed');
  }
}

/**
 * The entry next to this file: `thread-entry.js` once built. Run from source (tsx: the bench,
 * `npm run dev`), a new thread does not inherit tsx's loader for its entry, so a one-line
 * bootstrap registers it there first.
 */
function threadEntry(): { file: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL('./thread-entry.js', import.meta.url), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./thread-entry.ts', import.meta.url).href;
  return { file: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, eval: true };
}
