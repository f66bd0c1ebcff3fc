import { request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import { Coalescer } from '../db/coalesce.js';
import type { CallbackAttemptTable, Job } from '../db/schema.js';
import type { Insertable } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { signBody } from '../domain/signature.js';
import type { ResellerService } from '../resellers/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { JobResult } from '../worker/worker.js';
import { callbackJobSchema, withQuery, type CallbackJob } from './payload.js';
import { PRIVATE_TARGET } from './safe-dispatcher.js';
import type { CallbackUrlPolicy } from './url-policy.js';

export const USER_AGENT = 'kios-callbacks/1';

/**
 * Delivers one callback attempt and decides when the next one is due (Standard Webhooks
 * schedule, with jitter). Success is any 2xx within the timeout; redirects are not followed.
 * Every attempt is recorded with its outcome, response code and duration.
 */
export class CallbackDelivery {
  /** Attempts are recorded many to a statement (`Coalescer`); each delivery waits for its own row. */
  readonly #record = new Coalescer<Insertable<CallbackAttemptTable>>((rows) => this.d.db.kysely.insertInto('callback_attempts').values(rows).execute().then(() => undefined));

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

    const apiKey = await this.d.resellers.apiKeyOf(cb.resellerId);
    const { outcome, responseCode, error } = await sendCallback(this.d, cb, apiKey, job.id, startedAt);

    await this.#record.push({ job_id: job.id, attempt: job.attempts, started_at: startedAt, duration_ms: this.d.clock() - startedAt, response_code: responseCode ?? null, outcome, error: error ?? null });
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

export interface SendOutcome {
  outcome: 'delivered' | 'failed' | 'refused';
  responseCode: number | null;
  error: string | null;
  /** The first `keepBody` bytes of the receiver's answer (UTF-8, possibly cut mid-character). */
  body: string;
}

/**
 * One signed delivery of a callback, the only way kios calls a reseller's URL (the retried jobs
 * above and the dashboard's test button): the URL policy for IP literals, the dispatcher's
 * connect-time check for names, `webhook-id` / `webhook-timestamp` headers and the HMAC of the
 * body (or, for Otomax, of the query) with the reseller's key.
 */
export async function sendCallback(
  d: { policy: CallbackUrlPolicy; dispatcher: Dispatcher; timeoutMs: number },
  cb: CallbackJob,
  apiKey: string,
  webhookId: string,
  at: number,
  keepBody = 0,
): Promise<SendOutcome> {
  const url = cb.format === 'otomax' ? withQuery(cb.url, cb.query) : cb.url;
  const timestamp = String(Math.floor(at / 1000));
  let outcome: SendOutcome['outcome'] = 'failed';
  let responseCode: number | null = null;
  let error: string | null = null;
  let body = '';
  try {
    const target = new URL(url);
    // Names are checked by the dispatcher's lookup at connect time; IP literals never reach a lookup.
    if (!d.policy.allowPrivate && (await d.policy.verdict(target.hostname)) === 'private') {
      return { outcome: 'refused', responseCode, error: 'target is a private or local address', body };
    }
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'webhook-id': webhookId, 'webhook-timestamp': timestamp };
    let payload: string | undefined;
    if (cb.format === 'json') {
      payload = cb.body;
      headers['content-type'] = 'application/json';
      headers['x-signature'] = signBody(cb.body, apiKey);
    } else {
      headers['x-signature'] = signBody(target.search.slice(1), apiKey);
    }
    const res = await request(url, {
      method: cb.format === 'json' ? 'POST' : 'GET',
      headers,
      body: payload,
      dispatcher: d.dispatcher,
      signal: AbortSignal.timeout(d.timeoutMs),
    });
    responseCode = res.statusCode;
    body = keepBody > 0 ? await readPrefix(res.body, keepBody) : '';
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    if (res.statusCode >= 200 && res.statusCode < 300) outcome = 'delivered';
    else error = `HTTP ${res.statusCode}`;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    if (e.code === PRIVATE_TARGET || e.cause?.code === PRIVATE_TARGET) {
      outcome = 'refused';
      error = 'target resolves to a private or local address';
    } else {
      error = (e.cause?.message ?? e.message ?? String(err)).slice(0, 300);
    }
  }
  return { outcome, responseCode, error, body };
}

/** Reads at most `max` bytes of a body, leaving the rest for `dump`. */
async function readPrefix(stream: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    n += chunk.length;
    if (n >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
