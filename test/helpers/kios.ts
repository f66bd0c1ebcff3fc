import { expect } from 'vitest';
import type { KiosOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { serve, type Running } from '../../src/serve.js';
import type { Order } from '../../src/db/schema.js';
import { freshDatabase, type TestDatabase, type TestDialect } from './databases.js';
import { eventually } from './wait.js';

/**
 * A whole kios (API + worker) on a private database, listening on a loopback port, with
 * settings that make time-based behaviour quick: no simulator latency, short pending window,
 * sub-second retry schedules. Callbacks may reach loopback (the test receivers live there).
 */
export const TEST_ENV: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  SEED_DEMO: 'false',
  KIOS_SECRET_KEY: 'test-secret-key-0123456789abcdef',
  SIMULATOR_LATENCY_MS: '0',
  SIMULATOR_PENDING_MS: '300',
  CALLBACK_ALLOW_PRIVATE: 'true',
  CALLBACK_RETRY_SCHEDULE: '0,0.2,0.4,0.6',
  CALLBACK_TIMEOUT_MS: '2000',
  SUPPLIER_RECHECK_SCHEDULE: '0.05,0.1,0.2',
  SUPPLIER_TIMEOUT_MS: '2000',
  WORKER_POLL_MS: '20',
  JOB_LEASE_MS: '5000',
  // Periodic supplier calls would interleave with what suites count at their fakes; the suites
  // that test them switch them on.
  SUPPLIER_BALANCE_INTERVAL_MIN: '0',
  // Suites send many made-up keys from 127.0.0.1 on purpose; test/api/shared-limits.test.ts tests the guard.
  AUTH_FAILURE_LIMIT: '1000000',
};

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface Reseller {
  id: string;
  apiKey: string;
}

export class TestKios {
  private constructor(
    readonly running: Running,
    readonly db: TestDatabase,
    readonly env: Record<string, string>,
  ) {}

  static async start(dialect: TestDialect, env: Record<string, string> = {}, opts: KiosOptions & { catalog?: boolean; existing?: TestDatabase } = {}): Promise<TestKios> {
    const db = opts.existing ?? (await freshDatabase(dialect));
    // In this process the worker stays on the test's thread: the hooks in `opts` (clocks, DNS,
    // extra connectors) only reach it there, and vitest's TypeScript does not reach a new thread.
    // Child processes (`kios serve` from dist/) run it in its own thread, as operators do.
    const fullEnv = { ...TEST_ENV, WORKER_THREAD: 'false', DATABASE_URL: db.url, DATA_DIR: db.dataDir, ...env };
    const running = await serve(loadConfig(fullEnv), 'all', opts);
    if (opts.catalog !== false && !opts.existing) await running.kios.catalog.import(DEMO_CATALOG);
    return new TestKios(running, db, fullEnv);
  }

  get kios() {
    return this.running.kios;
  }

  get url(): string {
    return this.running.url!;
  }

  async reseller(o: { balance?: number; role?: string; email?: string; name?: string } = {}): Promise<Reseller> {
    const email = o.email ?? `r${Math.random().toString(36).slice(2)}@example.com`;
    const { reseller, apiKey } = await this.kios.resellers.create({ name: o.name ?? 'Test Reseller', email, role: o.role ?? 'platinum', balance: o.balance ?? 1_000_000 });
    return { id: reseller.id, apiKey };
  }

  async request<T = any>(method: string, path: string, o: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.key !== undefined) headers.authorization = o.key;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T };
  }

  order(key: string, body: Record<string, unknown>, version: 'v1' | 'v2' = 'v1') {
    return this.request('POST', `/${version}/order`, { key, body });
  }

  async balance(resellerId: string): Promise<number> {
    return this.kios.orders.balanceOf(resellerId);
  }

  async orderRow(invoice: string): Promise<Order> {
    return this.kios.db.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', invoice).executeTakeFirstOrThrow();
  }

  /** Waits until the order leaves PENDING (or satisfies `until`). */
  async settle(invoice: string, until: (o: Order) => boolean = (o) => o.status !== 'PENDING', timeoutMs = 10_000): Promise<Order> {
    return eventually(async () => {
      const o = await this.orderRow(invoice);
      if (!until(o)) throw new Error(`order ${invoice} is ${o.status}`);
      return o;
    }, timeoutMs);
  }

  /** Counts rows of a table, to prove a failed request changed nothing. */
  async snapshot(): Promise<Record<string, unknown>> {
    const k = this.kios.db.kysely;
    const [orders, ledger, jobs, resellers] = await Promise.all([
      k.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      k.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      k.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      k.selectFrom('resellers').select(['id', 'balance']).orderBy('id').execute(),
    ]);
    return { orders: Number(orders.n), ledger: Number(ledger.n), jobs: Number(jobs.n), balances: resellers };
  }

  async expectLedgerConsistent(): Promise<void> {
    expect(await verifyLedger(this.kios.db.kysely)).toEqual([]);
  }

  async stop(): Promise<void> {
    await this.running.stop();
  }

  async close(): Promise<void> {
    await this.running.stop();
    await this.db.drop();
  }
}
