import { z } from 'zod';
import { MAX_RUPIAH } from './domain/money.js';

/**
 * The only module that reads `process.env`. Every setting has a documented default (README,
 * "Configuration"); services receive the parsed `Config` and never look at the environment.
 */

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Comma-separated list of seconds, e.g. "0,5,300". */
const secondsList = (def: number[]) =>
  z
  .string()
  .trim()
  .default(def.join(','))
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => p.trim());
    const out: number[] = [];
    for (const p of parts) {
      const n = Number(p);
      if (p === '' || !Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `"${p}" is not a number of seconds` });
        return z.NEVER;
      }
      out.push(Math.round(n * 1000));
    }
    if (out.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one value' });
      return z.NEVER;
    }
    return out;
  });

/**
 * TRUST_PROXY: `off` (default: the socket address is the client), `on` (trust every hop, only
 * behind a proxy that overwrites X-Forwarded-For), a hop count, or a comma-separated list of
 * proxy addresses / CIDRs. Passed to Fastify's `trustProxy`.
 */
const trustProxy = z
  .string()
  .trim()
  .default('off')
  .transform((s): boolean | number | string[] => {
    const v = s.toLowerCase();
    if (v === '' || v === 'off' || v === 'false' || v === '0' || v === 'no') return false;
    if (v === 'on' || v === 'true' || v === 'yes') return true;
    if (/^\d+$/.test(v)) return Number(v);
    return s.split(',').map((p) => p.trim()).filter(Boolean);
  });

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  // How suppliers reach this kios (behind a proxy, its public https address): callback URLs
  // registered at suppliers and sent with each purchase are built from it.
  PUBLIC_URL: z
    .string()
    .trim()
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username;
      } catch {
        return false;
      }
    }, 'must be an http(s) URL such as https://kios.example.com')
    .transform((s) => s.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z.string().trim().min(1).default('sqlite:./data/kios.db'),
  DATABASE_POOL_SIZE: int(1, 500).default(10),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  INVOICE_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{1,16}$/, 'letters and digits only, at most 16')
    .default('KIOS'),
  CALLBACK_ALLOW_PRIVATE: bool.default(false),
  CALLBACK_TIMEOUT_MS: int(100, 120_000).default(15_000),
  // Standard Webhooks schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
  CALLBACK_RETRY_SCHEDULE: secondsList([0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]),
  TRUST_PROXY: trustProxy,
  KIOS_SECRET_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: int(1024, 10 * 1024 * 1024).default(64 * 1024),
  // Slow clients: the time to send the request line and headers, the whole request (body
  // included), and how long an idle keep-alive connection is kept (longer than a load balancer's
  // usual 60 s, so the balancer closes first and never reuses a connection kios is closing).
  HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 3_600_000).default(72_000),
  RATE_LIMIT_MAX: int(1, 10_000_000).default(1200),
  RATE_LIMIT_WINDOW_MS: int(1000, 3_600_000).default(60_000),
  WORKER_CONCURRENCY: int(1, 1000).default(256),
  // `kios serve` (API and worker in one process): the worker runs in a thread of its own, so
  // intake and fulfilment each have a core. Off: both share the main thread.
  WORKER_THREAD: bool.default(true),
  WORKER_POLL_MS: int(10, 60_000).default(500),
  JOB_LEASE_MS: int(1000, 3_600_000).default(60_000),
  // Re-check of an order the supplier left pending (or answered ambiguously): 5 s, 15 s, 30 s,
  // 1 min, 2 min, 5 min, 10 min, then every 30 min. Never a refund on a guess.
  SUPPLIER_RECHECK_SCHEDULE: secondsList([5, 15, 30, 60, 120, 300, 600, 1800]),
  SUPPLIER_TIMEOUT_MS: int(100, 120_000).default(20_000),
  SIMULATOR_LATENCY_MS: int(0, 60_000).default(150),
  SIMULATOR_PENDING_MS: int(0, 3_600_000).default(20_000),
  SEED_DEMO: bool.default(true),
  // Where operator alerts are POSTed as JSON (a chat bot, an on-call hook); they are logged anyway.
  OPERATOR_ALERT_URL: z
    .string()
    .trim()
    .refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'must be an http(s) URL')
    .optional(),
  // LISTEN/NOTIFY wake-ups between processes (PostgreSQL). Switch off behind a transaction-pooling
  // PgBouncer, where a LISTEN does not stay on one server connection: workers then rely on polling.
  PG_NOTIFY: bool.default(true),
  // Named server-side statements for the order path's queries (PostgreSQL). Switch off behind a
  // transaction-pooling PgBouncer older than 1.21 or without max_prepared_statements.
  PG_PREPARED_STATEMENTS: bool.default(true),
  // Shares rate limits across api processes (redis://host:6379/0); without it they are per process.
  REDIS_URL: z
    .string()
    .trim()
    .refine((s) => /^rediss?:\/\//.test(s) && URL.canParse(s), 'must be a redis:// or rediss:// URL')
    .optional(),
  // Prefix of kios's keys in Redis (several deployments can share one Redis).
  REDIS_PREFIX: z.string().trim().regex(/^[A-Za-z0-9:_-]{1,50}$/, 'letters, digits and : _ -').default('kios:'),
  // Requests with unknown API keys allowed per client IP per RATE_LIMIT_WINDOW_MS before the address is refused unseen.
  AUTH_FAILURE_LIMIT: int(1, 1_000_000).default(30),
  // Minutes between automatic catalog syncs of every active supplier that has a catalog (0: off).
  CATALOG_SYNC_INTERVAL_MIN: int(0, 100_000).default(0),
  // Minutes between supplier balance checks against each account's balance_alert (0: off).
  SUPPLIER_BALANCE_INTERVAL_MIN: int(0, 100_000).default(10),
  // Prometheus metrics (GET /metrics) on a port of their own, off when unset; 0: any free port.
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  // Deposits by bank transfer: the smallest and largest amount a reseller may ask to deposit (the
  // 3-digit unique code is added on top), and how long a ticket waits for its transfer.
  DEPOSIT_MIN: int(1, MAX_RUPIAH - 999).default(10_000),
  DEPOSIT_MAX: int(1, MAX_RUPIAH - 999).default(100_000_000),
  DEPOSIT_TICKET_TTL_MIN: int(1, 525_600).default(1440),
  // The operator's time zone: the dashboards show times in it (an IANA name, e.g. Asia/Makassar).
  TZ: z
    .string()
    .trim()
    .refine((s) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: s });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Jakarta')
    .default('Asia/Jakarta'),
});

export type Config = {
  port: number;
  host: string;
  publicUrl: string | undefined;
  databaseUrl: string;
  databasePoolSize: number;
  dataDir: string;
  invoicePrefix: string;
  callbackAllowPrivate: boolean;
  callbackTimeoutMs: number;
  callbackRetryScheduleMs: number[];
  trustProxy: boolean | number | string[];
  secretKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimit: number;
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  workerConcurrency: number;
  workerThread: boolean;
  workerPollMs: number;
  jobLeaseMs: number;
  supplierRecheckScheduleMs: number[];
  supplierTimeoutMs: number;
  simulatorLatencyMs: number;
  simulatorPendingMs: number;
  seedDemo: boolean;
  operatorAlertUrl: string | undefined;
  pgNotify: boolean;
  pgPreparedStatements: boolean;
  redisUrl: string | undefined;
  redisPrefix: string;
  authFailureLimit: number;
  catalogSyncIntervalMs: number;
  supplierBalanceIntervalMs: number;
  metricsPort: number | undefined;
  metricsHost: string;
  depositMin: number;
  depositMax: number;
  depositTicketTtlMs: number;
  /** TZ: the dashboards' time zone. */
  timeZone: string;
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", so `PORT= npm start` behaves like no PORT at all.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  // Node refuses to start a server whose headers may take longer than the request they belong to.
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (e.DEPOSIT_MIN > e.DEPOSIT_MAX) throw new ConfigError('invalid configuration:\n  DEPOSIT_MIN: must not exceed DEPOSIT_MAX');
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    invoicePrefix: e.INVOICE_PREFIX,
    callbackAllowPrivate: e.CALLBACK_ALLOW_PRIVATE,
    callbackTimeoutMs: e.CALLBACK_TIMEOUT_MS,
    callbackRetryScheduleMs: e.CALLBACK_RETRY_SCHEDULE,
    trustProxy: e.TRUST_PROXY,
    secretKey: e.KIOS_SECRET_KEY,
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT,
    httpHeadersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    httpKeepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerThread: e.WORKER_THREAD,
    workerPollMs: e.WORKER_POLL_MS,
    jobLeaseMs: e.JOB_LEASE_MS,
    supplierRecheckScheduleMs: e.SUPPLIER_RECHECK_SCHEDULE,
    supplierTimeoutMs: e.SUPPLIER_TIMEOUT_MS,
    simulatorLatencyMs: e.SIMULATOR_LATENCY_MS,
    simulatorPendingMs: e.SIMULATOR_PENDING_MS,
    seedDemo: e.SEED_DEMO,
    operatorAlertUrl: e.OPERATOR_ALERT_URL,
    pgNotify: e.PG_NOTIFY,
    pgPreparedStatements: e.PG_PREPARED_STATEMENTS,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    authFailureLimit: e.AUTH_FAILURE_LIMIT,
    catalogSyncIntervalMs: e.CATALOG_SYNC_INTERVAL_MIN * 60_000,
    supplierBalanceIntervalMs: e.SUPPLIER_BALANCE_INTERVAL_MIN * 60_000,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    depositMin: e.DEPOSIT_MIN,
    depositMax: e.DEPOSIT_MAX,
    depositTicketTtlMs: e.DEPOSIT_TICKET_TTL_MIN * 60_000,
    timeZone: e.TZ,
  };
}
