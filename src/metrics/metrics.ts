import { sql } from 'kysely';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Db } from '../db/index.js';
import type { JobKind } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { ORDER_STATUSES } from '../domain/order-status.js';
import { lastLedgerVerification } from '../ledger/verify.js';
import type { Answer } from '../orders/attempts.js';

/** What one purchase or status call to a supplier came back with; `error`: an exception or no answer in time. */
export type SupplierCallOutcome = Answer['kind'] | 'error';
export type CallbackOutcome = 'delivered' | 'failed' | 'refused';

const JOB_KINDS: readonly JobKind[] = ['fulfil', 'callback', 'redeem'];

/** The route label of a request that matched no route: raw URLs would carry API keys and ids. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The process's Prometheus metrics. Counters are incremented where things happen (cheap enough
 * for every request); gauges about the database are read at scrape time, so every process of a
 * deployment reports the same values and nothing has to keep them in step.
 *
 * A registry of its own, not prom-client's global one: several kios in one process (the tests)
 * would otherwise share and collide on metric names.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #sources: (() => Promise<MetricObjectWithValues<MetricValue<string>>[]>)[] = [];

  readonly httpRequests = new Counter({
    name: 'kios_http_requests_total',
    help: 'HTTP requests answered by the API, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'kios_http_request_duration_seconds',
    help: 'Time to answer an API request, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly callbackAttempts = new Counter({
    name: 'kios_callback_attempts_total',
    help: 'Callback deliveries to resellers attempted by this process, by outcome (delivered, failed, refused).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly supplierCalls = new Counter({
    name: 'kios_supplier_calls_total',
    help: 'Purchase and status calls to suppliers made by this process, by supplier id and outcome.',
    labelNames: ['supplier', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly #orders = new Gauge({
    name: 'kios_orders',
    help: 'Orders in the database, by status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly #jobsQueued = new Gauge({
    name: 'kios_jobs_queued',
    help: 'Jobs not finished yet (due, running or scheduled for later), by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly #jobOldestAge = new Gauge({
    name: 'kios_job_oldest_queued_age_seconds',
    help: 'How long the longest-waiting due job has waited for a worker, by kind (0: none waiting).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  // Registered only once a verification is on record: a gauge without labels always has a
  // sample, and a 0 would claim a failed verification that never ran.
  readonly #ledgerOk = new Gauge({ name: 'kios_ledger_verify_ok', help: '1 if the last `kios ledger verify` found no violation, 0 if it found some.', registers: [] });
  readonly #ledgerAt = new Gauge({ name: 'kios_ledger_verify_timestamp_seconds', help: 'When the last `kios ledger verify` ran (Unix time).', registers: [] });

  constructor(
    private readonly d: { db: Db; clock: Clock },
    opts: { processMetrics: boolean },
  ) {
    // Process memory, CPU, event loop: only where something scrapes them (the event-loop monitor
    // runs for as long as the process does).
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One API request, answered. `route` is the matched route pattern, never the raw URL. */
  observeRequest(route: string | undefined, method: string, status: number, elapsedMs: number): void {
    const labels = { route: route ?? UNMATCHED_ROUTE, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, elapsedMs / 1000);
  }

  /**
   * Counters kept elsewhere in this process (the worker thread's), summed into what it serves.
   * Such a source reads no database gauges: those are read here, once.
   */
  addSource(read: () => Promise<MetricObjectWithValues<MetricValue<string>>[]>): void {
    this.#sources.push(read);
  }

  /** The exposition text: database gauges read now, then every metric. */
  async scrape(): Promise<string> {
    await Promise.all([this.#readOrders(), this.#readJobs(), this.#readLedger()]);
    if (this.#sources.length === 0) return this.registry.metrics();
    const all = await Promise.all([this.registry.getMetricsAsJSON(), ...this.#sources.map((read) => read())]);
    return AggregatorRegistry.aggregate(all).metrics();
  }

  async #readOrders(): Promise<void> {
    const rows = await this.d.db.kysely
      .selectFrom('orders')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .execute();
    this.#orders.reset();
    // Every known status, 0 included: a series that vanishes at 0 breaks rate() and alerts.
    for (const s of ORDER_STATUSES) this.#orders.set({ status: s }, 0);
    for (const r of rows) this.#orders.set({ status: r.status }, Number(r.n));
  }

  async #readJobs(): Promise<void> {
    const now = this.d.clock();
    // A job is waiting for a worker once it is due and nobody holds its lease; one scheduled for
    // later (a callback retry hours away) or running now is not a backlog.
    const rows = await this.d.db.kysely
      .selectFrom('jobs')
      .select([
        'kind',
        (eb) => eb.fn.countAll<number | string>().as('n'),
        sql<number | string | null>`min(case when run_at <= ${now} and (locked_until is null or locked_until < ${now}) then run_at end)`.as('due_since'),
      ])
      .where('status', '=', 'queued')
      .groupBy('kind')
      .execute();
    this.#jobsQueued.reset();
    this.#jobOldestAge.reset();
    for (const kind of JOB_KINDS) {
      this.#jobsQueued.set({ kind }, 0);
      this.#jobOldestAge.set({ kind }, 0);
    }
    for (const r of rows) {
      this.#jobsQueued.set({ kind: r.kind }, Number(r.n));
      if (r.due_since !== null) this.#jobOldestAge.set({ kind: r.kind }, Math.max(0, now - Number(r.due_since)) / 1000);
    }
  }

  async #readLedger(): Promise<void> {
    const last = await lastLedgerVerification(this.d.db.kysely);
    if (!last) return;
    if (!this.registry.getSingleMetric('kios_ledger_verify_ok')) {
      this.registry.registerMetric(this.#ledgerOk);
      this.registry.registerMetric(this.#ledgerAt);
    }
    this.#ledgerOk.set(last.ok ? 1 : 0);
    this.#ledgerAt.set(last.at / 1000);
  }
}
