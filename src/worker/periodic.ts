import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { OperatorAlerts } from '../alerts/operator-alerts.js';
import { pruneAuth } from '../auth/prune.js';
import type { CatalogSync } from '../catalog/sync/sync.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { takeLease } from '../jobs/lease.js';
import type { BalanceWatch } from '../suppliers/balance-watch.js';

interface Task {
  name: string;
  everyMs: number;
  run(): Promise<void>;
}

/** How often a worker looks whether a periodic task is due. */
const TICK_MS = 30_000;
/** Ended sessions and spent set-up links are pruned hourly (a lookup refuses them meanwhile). */
export const AUTH_PRUNE_MS = 3600_000;

/**
 * Periodic work of the worker role (catalog sync, supplier balances, pruning ended sessions). Each task is due once per
 * interval across every process: the first worker to take the task's lease for the interval
 * runs it, the others see the lease held and skip, so adding workers never multiplies syncs.
 */
export class Periodic {
  readonly #id = randomUUID();
  readonly #tasks: Task[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly d: { db: Db; clock: Clock; log: Logger; alerts: OperatorAlerts; connectors: ConnectorRegistry; catalogSync: CatalogSync; balances: BalanceWatch },
    intervals: { catalogSyncMs: number; balancesMs: number; authPruneMs?: number },
  ) {
    if (intervals.catalogSyncMs > 0) this.#tasks.push({ name: 'catalog-sync', everyMs: intervals.catalogSyncMs, run: () => this.#syncAll() });
    if (intervals.balancesMs > 0) this.#tasks.push({ name: 'supplier-balances', everyMs: intervals.balancesMs, run: async () => void (await this.d.balances.checkAll()) });
    const pruneMs = intervals.authPruneMs ?? AUTH_PRUNE_MS;
    if (pruneMs > 0) this.#tasks.push({ name: 'auth-prune', everyMs: pruneMs, run: () => this.#prune() });
  }

  start(): void {
    if (this.#tasks.length === 0 || this.#timer) return;
    const tick = () => {
      this.#running ??= this.#tick().finally(() => (this.#running = null));
    };
    this.#timer = setInterval(tick, TICK_MS);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #tick(): Promise<void> {
    for (const task of this.#tasks) {
      try {
        if (!(await takeLease(this.d.db.kysely, `periodic:${task.name}`, this.#id, this.d.clock(), task.everyMs))) continue;
        await task.run();
      } catch (err) {
        this.d.log.error({ err, task: task.name }, 'periodic task failed');
      }
    }
  }

  async #prune(): Promise<void> {
    const r = await pruneAuth(this.d.db, this.d.clock());
    if (r.sessions + r.tokens > 0) this.d.log.info(r, 'pruned ended sessions and spent set-up links');
  }

  async #syncAll(): Promise<void> {
    const suppliers = await this.d.db.kysely.selectFrom('suppliers').select(['id']).where('is_active', '=', 1).orderBy('id').execute();
    for (const s of suppliers) {
      try {
        const connector = await this.d.connectors.get(s.id);
        if (!connector.catalog) continue;
        const r = await this.d.catalogSync.run(s.id);
        this.d.log.info({ supplier: s.id, fetched: r.fetched, created: r.created.length, costChanged: r.costChanged.length, deactivated: r.deactivated.length, repriced: r.repriced.length }, 'catalog synced');
        if (r.belowCost.length > 0) {
          this.d.alerts.raise({ kind: 'price_below_cost', supplier: s.id, message: `${r.belowCost.length} prices are below the cost of the route serving them after syncing ${s.id} (see: kios price preview)` });
        }
      } catch (err) {
        this.d.alerts.raise({ kind: 'catalog_sync_failed', supplier: s.id, message: `catalog sync of ${s.id} failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }
}
