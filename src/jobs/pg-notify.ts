import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { JobSignal } from './queue.js';

export const JOBS_CHANNEL = 'kios_jobs';

/**
 * Carries "there is new work" between processes on PostgreSQL (LISTEN/NOTIFY), so a worker
 * process starts a job queued by an API process at once instead of at its next poll. Purely an
 * accelerator: workers still poll, so a lost notification only costs WORKER_POLL_MS.
 */
export class PgJobNotifier {
  #client: pg.Client | null = null;
  #closed = false;
  #publishing = false;
  #again = false;

  constructor(
    private readonly d: { db: Db; url: string; signal: JobSignal; log: Logger },
  ) {}

  /** Sends one notification; calls made while one is in flight coalesce into a single follow-up. */
  publish(): void {
    if (this.#closed) return;
    if (this.#publishing) {
      this.#again = true;
      return;
    }
    this.#publishing = true;
    sql`select pg_notify(${JOBS_CHANNEL}, '')`
      .execute(this.d.db.kysely)
      .catch((err: unknown) => this.d.log.debug({ err }, 'job notification not sent'))
      .finally(() => {
        this.#publishing = false;
        if (this.#again) {
          this.#again = false;
          this.publish();
        }
      });
  }

  /** Listens until closed, reconnecting after a lost connection. */
  async listen(): Promise<void> {
    if (this.#closed || this.#client) return;
    const client = new pg.Client({ connectionString: this.d.url });
    this.#client = client;
    const retry = () => {
      if (this.#client !== client) return;
      this.#client = null;
      client.end().catch(() => undefined);
      if (!this.#closed) setTimeout(() => void this.listen(), 1000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => this.d.signal.emit('jobs'));
    try {
      await client.connect();
      await client.query(`listen ${JOBS_CHANNEL}`);
    } catch (err) {
      this.d.log.warn({ err }, 'cannot listen for job notifications; relying on polling');
      retry();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#client;
    this.#client = null;
    await c?.end().catch(() => undefined);
  }
}
