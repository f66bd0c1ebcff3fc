import type { Dispatcher } from 'undici';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { OperatorAlerts } from './alerts/operator-alerts.js';
import { CallbackDelivery } from './callbacks/deliver.js';
import { createOutboundDispatcher, type LookupFn } from './callbacks/safe-dispatcher.js';
import { CallbackUrlPolicy, type Resolve } from './callbacks/url-policy.js';
import { CatalogService } from './catalog/service.js';
import { DepositService } from './deposits/service.js';
import { RouteService } from './catalog/routes.js';
import { Pricing } from './pricing/service.js';
import { Metrics } from './metrics/metrics.js';
import { CatalogSync } from './catalog/sync/sync.js';
import { BalanceWatch } from './suppliers/balance-watch.js';
import { Periodic } from './worker/periodic.js';
import { ConnectorRegistry } from './connectors/registry.js';
import type { ConnectorFactory } from './connectors/types.js';
import { createDb, type Db } from './db/index.js';
import { migrateToLatest } from './db/migrations/index.js';
import { systemClock, type Clock } from './domain/clock.js';
import { PgJobNotifier } from './jobs/pg-notify.js';
import { JobQueue, JobSignal } from './jobs/queue.js';
import { OrderAdmin } from './orders/admin.js';
import { FailingCallbacks } from './operations/failing-callbacks.js';
import { LedgerCheck } from './operations/ledger-check.js';
import { OperationsOverview } from './operations/overview.js';
import { Attempts } from './orders/attempts.js';
import { Fulfilment } from './orders/fulfil.js';
import { OrderIntake } from './orders/place-order.js';
import { OrderTransitions } from './orders/transitions.js';
import { ResellerService } from './resellers/service.js';
import { MemberDashboard } from './member/index.js';
import { ResellerAdmin } from './resellers/admin.js';
import { ProductAdmin } from './catalog/products.js';
import { SyncRuns } from './catalog/sync/runs.js';
import { InboundCallbacks } from './suppliers/inbound-callbacks.js';
import { RateGate } from './suppliers/rate-gate.js';
import { SupplierService } from './suppliers/service.js';
import { connectorFactories } from './connectors/index.js';
import { Agent } from 'undici';
import { loadSecretKey, SecretBox } from './security/secret-box.js';
import { Worker } from './worker/worker.js';
import { join } from 'node:path';
import type { SupplierConnector } from './connectors/types.js';
import type { RedeemEngine } from './redeem/engine.js';
import { RedeemProcessor } from './redeem/process.js';
import { RedeemService, SIMULATOR_ENGINE } from './redeem/service.js';
import { SIMULATOR_JOURNAL, SimulatorRedeemEngine } from './redeem/simulator.js';
import { AuditLog } from './audit/log.js';
import { MemberAccounts } from './auth/members.js';
import { SessionStore } from './auth/sessions.js';
import { SetupLinks } from './auth/setup-links.js';
import { OperatorService } from './operators/service.js';

/**
 * The composition root: reads nothing from the environment itself (the caller passes a Config),
 * opens the database, brings the schema up to date and wires every service. HTTP and the worker
 * are started separately (`serve`), so the CLI uses the very same services.
 */
export interface Kios {
  config: Config;
  db: Db;
  log: Logger;
  clock: Clock;
  secrets: SecretBox;
  signal: JobSignal;
  /** PostgreSQL only: carries job wake-ups between processes. */
  notifier: PgJobNotifier | null;
  queue: JobQueue;
  resellers: ResellerService;
  /** The operator's reseller list, detail, tier and disable/enable. */
  resellerAdmin: ResellerAdmin;
  catalog: CatalogService;
  /** One product at a time: its price per tier, on or off. */
  products: ProductAdmin;
  routes: RouteService;
  pricing: Pricing;
  suppliers: SupplierService;
  inboundCallbacks: InboundCallbacks;
  connectors: ConnectorRegistry;
  attempts: Attempts;
  gate: RateGate;
  callbackPolicy: CallbackUrlPolicy;
  orders: OrderIntake;
  transitions: OrderTransitions;
  orderAdmin: OrderAdmin;
  fulfilment: Fulfilment;
  callbacks: CallbackDelivery;
  alerts: OperatorAlerts;
  catalogSync: CatalogSync;
  /** Catalog syncs started from the dashboard, with their progress (this process only). */
  syncRuns: SyncRuns;
  balances: BalanceWatch;
  /** Prometheus counters and gauges; served by `serve` only when METRICS_PORT is set. */
  metrics: Metrics;
  /** Voucher-redeem projects (issue 9): intake, settings, reads; `redeemProcessor` runs their jobs. */
  redeem: RedeemService;
  redeemProcessor: RedeemProcessor;
  /** The reseller dashboard's reads and actions, each scoped to one reseller. */
  member: MemberDashboard;
  /** Deposits by bank transfer (issue 10): tickets, their confirmation, the operator's bank accounts. */
  deposits: DepositService;
  /** The operator dashboard's operations (issue 10): today at a glance, failing callbacks, the ledger check. */
  operations: { overview: OperationsOverview; callbacks: FailingCallbacks; ledger: LedgerCheck };
  /** Dashboards (issue 10): server-side sessions, set-up links, accounts and the audit log. */
  sessions: SessionStore;
  setupLinks: SetupLinks;
  operators: OperatorService;
  members: MemberAccounts;
  audit: AuditLog;
  createWorker(): Worker;
  /** The worker role's periodic tasks (catalog sync, supplier balances), as configured. */
  createPeriodic(): Periodic;
  close(): Promise<void>;
}

export interface KiosOptions {
  log?: Logger;
  clock?: Clock;
  /** DNS for the order-time callback check (tests replace it to simulate names). */
  resolve?: Resolve;
  /** DNS for the connect-time callback check. */
  connectLookup?: LookupFn;
  extraConnectors?: ConnectorFactory<never>[];
}

export class SecretKeyMismatchError extends Error {}

export async function createKios(config: Config, opts: KiosOptions = {}): Promise<Kios> {
  const log = opts.log ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  const db = createDb(config.databaseUrl, { poolSize: config.databasePoolSize, preparedStatements: config.pgPreparedStatements });
  try {
    await migrateToLatest(db);
    const secrets = await openSecrets(db, config, log);

    const metrics = new Metrics({ db, clock }, { processMetrics: config.metricsPort !== undefined });
    const signal = new JobSignal();
    const notifier = db.dialect === 'postgres' && config.pgNotify ? new PgJobNotifier({ db, url: config.databaseUrl, signal, log }) : null;
    if (notifier) signal.attachRemote(() => notifier.publish());
    const queue = new JobQueue(db);
    const callbackPolicy = new CallbackUrlPolicy(config.callbackAllowPrivate, opts.resolve, clock);
    const dispatcher: Dispatcher = createOutboundDispatcher({ allowPrivate: config.callbackAllowPrivate, timeoutMs: config.callbackTimeoutMs, lookup: opts.connectLookup });
    // Suppliers are the operator's own choice (a LAN host or a fake on loopback is legitimate): no
    // private-address guard, unlike reseller callbacks.
    const supplierDispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64, connectTimeout: Math.min(config.supplierTimeoutMs, 10_000) });
    const connectors = new ConnectorRegistry(
      db,
      secrets,
      [...connectorFactories({ latencyMs: config.simulatorLatencyMs, pendingMs: config.simulatorPendingMs }), ...(opts.extraConnectors ?? [])],
      { log, timeoutMs: config.supplierTimeoutMs, dataDir: config.dataDir, dispatcher: supplierDispatcher, publicUrl: config.publicUrl ?? null },
    );
    const gate = new RateGate({ db, clock });
    const pricing = new Pricing({ db, clock });
    const suppliers = new SupplierService({ db, secrets, connectors, gate, pricing, clock });
    const resellers = new ResellerService(db, secrets, callbackPolicy, clock);
    const catalog = new CatalogService(db, secrets, connectors, clock);
    await catalog.ensureDefaultTiers();
    const transitions = new OrderTransitions({ db, clock, signal, callbackFirstDelayMs: config.callbackRetryScheduleMs[0] ?? 0 });
    const orders = new OrderIntake({ db, catalog, connectors, gate, callbackPolicy, signal, clock, invoicePrefix: config.invoicePrefix, log });
    const alerts = new OperatorAlerts({ url: config.operatorAlertUrl, dispatcher: supplierDispatcher, clock, log: log.child({ component: 'alerts' }) });
    const catalogSync = new CatalogSync({ db, connectors, pricing, gate, clock, log: log.child({ component: 'catalog-sync' }) });
    const balances = new BalanceWatch({ db, suppliers, alerts, clock });
    const attempts = new Attempts({ db, transitions, alerts, clock, log: log.child({ component: 'fulfilment' }) });
    const fulfilment = new Fulfilment({
      db,
      connectors,
      attempts,
      transitions,
      gate,
      clock,
      recheckScheduleMs: config.supplierRecheckScheduleMs,
      supplierTimeoutMs: config.supplierTimeoutMs,
      metrics,
      log: log.child({ component: 'fulfilment' }),
    });
    const callbacks = new CallbackDelivery({
      db,
      resellers,
      policy: callbackPolicy,
      dispatcher,
      clock,
      timeoutMs: config.callbackTimeoutMs,
      scheduleMs: config.callbackRetryScheduleMs,
      metrics,
      log: log.child({ component: 'callbacks' }),
    });

    // Redeem engines: the built-in simulator (made on first use), or a supplier account's.
    let simulatorEngine: SimulatorRedeemEngine | null = null;
    const supplierEngines = new WeakMap<SupplierConnector, RedeemEngine>();
    const redeemEngine = async (engine: string): Promise<RedeemEngine> => {
      if (engine === SIMULATOR_ENGINE) return (simulatorEngine ??= new SimulatorRedeemEngine(join(config.dataDir, SIMULATOR_JOURNAL), config.simulatorLatencyMs, clock));
      const c = await connectors.get(engine);
      let e = supplierEngines.get(c);
      if (!e) {
        if (!c.redeemEngine) throw new Error(`supplier ${engine} (${c.kind}) offers no redeem engine`);
        e = c.redeemEngine();
        supplierEngines.set(c, e);
      }
      return e;
    };
    const redeem = new RedeemService({
      db,
      secrets,
      signal,
      clock,
      supplierHasEngine: async (id) => typeof (await connectors.get(id)).redeemEngine === 'function',
    });
    redeem.callbackFirstDelayMs = config.callbackRetryScheduleMs[0] ?? 0;
    const redeemProcessor = new RedeemProcessor({
      db,
      secrets,
      signal,
      clock,
      engines: redeemEngine,
      scheduleMs: config.supplierRecheckScheduleMs,
      engineTimeoutMs: config.supplierTimeoutMs,
      callbackFirstDelayMs: config.callbackRetryScheduleMs[0] ?? 0,
      log: log.child({ component: 'redeem' }),
    });

    const sessions = new SessionStore({ db, clock });
    const setupLinks = new SetupLinks({ db, clock, config, sessions });
    const audit = new AuditLog({ db, clock });

    return {
      config,
      db,
      log,
      clock,
      secrets,
      signal,
      notifier,
      queue,
      resellers,
      resellerAdmin: new ResellerAdmin({ db, resellers, clock, onDisabled: (trx, id) => sessions.endAll('member', id, null, trx) }),
      catalog,
      products: new ProductAdmin({ db, clock }),
      routes: new RouteService({ db, pricing, clock }),
      pricing,
      suppliers,
      inboundCallbacks: new InboundCallbacks({ db, connectors, attempts, signal, clock, log: log.child({ component: 'supplier-callbacks' }) }),
      connectors,
      attempts,
      gate,
      callbackPolicy,
      orders,
      transitions,
      orderAdmin: new OrderAdmin({ db, transitions }),
      fulfilment,
      callbacks,
      alerts,
      catalogSync,
      syncRuns: new SyncRuns({ sync: catalogSync, clock }),
      balances,
      metrics,
      redeem,
      redeemProcessor,
      member: new MemberDashboard({ db, catalog, resellers, policy: callbackPolicy, dispatcher, timeoutMs: config.callbackTimeoutMs, clock }),
      deposits: new DepositService({ db, clock, min: config.depositMin, max: config.depositMax, ttlMs: config.depositTicketTtlMs }),
      operations: {
        overview: new OperationsOverview({ db, clock }),
        callbacks: new FailingCallbacks({ db, clock, signal }),
        ledger: new LedgerCheck({ db, clock }),
      },
      sessions,
      setupLinks,
      operators: new OperatorService({ db, clock, secrets, links: setupLinks, sessions, audit }),
      members: new MemberAccounts({ db, clock, resellers, links: setupLinks, sessions, audit }),
      audit,
      createPeriodic: () =>
        new Periodic(
          { db, clock, log: log.child({ component: 'periodic' }), alerts, connectors, catalogSync, balances },
          { catalogSyncMs: config.catalogSyncIntervalMs, balancesMs: config.supplierBalanceIntervalMs },
        ),
      createWorker: () =>
        new Worker({
          queue,
          signal,
          handlers: { fulfil: fulfilment.handle, callback: callbacks.handle, redeem: redeemProcessor.handle },
          concurrency: config.workerConcurrency,
          pollMs: config.workerPollMs,
          leaseMs: config.jobLeaseMs,
          clock,
          log: log.child({ component: 'worker' }),
        }),
      async close() {
        await notifier?.close();
        await alerts.settled();
        await connectors.close();
        await dispatcher.close();
        await supplierDispatcher.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/**
 * Loads the secret key and checks it against the check value stored in the database, so a
 * process started with a different key fails at once instead of mis-signing callbacks.
 */
async function openSecrets(db: Db, config: Config, log: Logger): Promise<SecretBox> {
  const loaded = loadSecretKey(config.secretKey, config.dataDir);
  if (loaded.source === 'generated') log.info({ path: loaded.path }, 'generated a new secret key (KIOS_SECRET_KEY not set)');
  const box = new SecretBox(loaded.key);
  const stored = await db.kysely.selectFrom('meta').select('value').where('key', '=', 'secret_key_check').executeTakeFirst();
  if (!stored) {
    // First process on this database: its key becomes the deployment's (a racing first process
    // with another key loses the insert and fails the check below).
    await db.kysely
      .insertInto('meta')
      .values({ key: 'secret_key_check', value: box.checkValue() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  const check = stored ?? (await db.kysely.selectFrom('meta').select('value').where('key', '=', 'secret_key_check').executeTakeFirstOrThrow());
  if (!box.matchesCheckValue(check.value)) throw new SecretKeyMismatchError(mismatchMessage(loaded.source, loaded.path));
  return box;
}

function mismatchMessage(source: string, path?: string): string {
  return (
    `the secret key (${source === 'env' ? 'KIOS_SECRET_KEY' : path}) is not the one this database was created with. ` +
    'Every process of one kios deployment must use the same KIOS_SECRET_KEY.'
  );
}
