import { request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { Job } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { signBody } from '../domain/signature.js';
import type { ResellerService } from '../resellers/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { JobResult } from '../worker/worker.js';
import { callbackJobSchema, withQuery } from './payload.js';
import { PRIVATE_TARGET } from './safe-dispatcher.js';
import type { CallbackUrlPolicy } from './url-policy.js';

export const USER_AGENT = 'kios-callbacks/1';

/**
 * Delivers one callback attempt and decides when the next one is due (Standard Webhooks
 * schedule, with jitter). Success is any 2xx within the timeout; redirects are not followed.
 * Every attempt is recorded with its outcome, response code and duration.
 */
export class CallbackDelivery {
  constructor(
    private readonly d: {
      db: Db;
      resellers: ResellerService;
      policy: CallbackUrlPolicy;
      dispatcher: Dispatcher;
      clock: Clock;
      timeoutMs: number;
      scheduleMs: number[];
      metrics: Metrics;
      log: Logger;
      random?: () => number;
    },
  ) {}

  readonly handle = async (job: Job): Promise<JobResult> => {
    const parsed = callbackJobSchema.safeParse(JSON.parse(job.payload));
    if (!parsed.success) return { kind: 'dead', error: 'unreadable callback payload' };
    const cb = parsed.data;
    const startedAt = this.d.clock();
    const url = cb.format === 'otomax' ? withQuery(cb.url, cb.query) : cb.url;
    const timestamp = String(Math.floor(startedAt / 1000));

    let outcome: 'delivered' | 'failed' | 'refused' = 'failed';
    let responseCode: number | null = null;
    let error: string | null = null;
    try {
      const target = new URL(url);
      // Names are checked by the dispatcher's lookup at connect time; IP literals never reach a lookup.
      if (!this.d.policy.allowPrivate && (await this.d.policy.verdict(target.hostname)) === 'private') {
        outcome = 'refused';
        error = 'target is a private or local address';
      } else {
        const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'webhook-id': job.id, 'webhook-timestamp': timestamp };
        const apiKey = await this.d.resellers.apiKeyOf(cb.resellerId);
        let body: string | undefined;
        if (cb.format === 'json') {
          body = cb.body;
          headers['content-type'] = 'application/json';
          headers['x-signature'] = signBody(cb.body, apiKey);
        } else {
          headers['x-signature'] = signBody(target.search.slice(1), apiKey);
        }
        const res = await request(url, {
          method: cb.format === 'json' ? 'POST' : 'GET',
          headers,
          body,
          dispatcher: this.d.dispatcher,
          signal: AbortSignal.timeout(this.d.timeoutMs),
        });
        responseCode = res.statusCode;
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        if (res.statusCode >= 200 && res.statusCode < 300) outcome = 'delivered';
        else error = `HTTP ${res.statusCode}`;
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      if (e.code === PRIVATE_TARGET || e.cause?.code === PRIVATE_TARGET) {
        outcome = 'refused';
        error = 'target resolves to a private or local address';
      } else {
        error = (e.cause?.message ?? e.message ?? String(err)).slice(0, 300);
      }
    }

    await this.d.db.kysely
      .insertInto('callback_attempts')
      .values({ job_id: job.id, attempt: job.attempts, started_at: startedAt, duration_ms: this.d.clock() - startedAt, response_code: responseCode, outcome, error })
      .execute();
    this.d.metrics.callbackAttempts.inc({ outcome });

    if (outcome === 'delivered') return { kind: 'done' };
    const delay = this.d.scheduleMs[job.attempts];
    if (delay === undefined) {
      this.d.log.warn({ job: job.id, order: job.order_id, attempts: job.attempts }, 'callback given up after the last scheduled attempt');
      return { kind: 'dead', error: error ?? 'failed' };
    }
    const jitter = delay === 0 ? 0 : delay * 0.1 * ((this.d.random ?? Math.random)() * 2 - 1);
    return { kind: 'retry', at: this.d.clock() + Math.round(delay + jitter), error: error ?? 'failed' };
  };
}
