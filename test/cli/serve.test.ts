import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulatorConnector } from '../../src/connectors/simulator/index.js';
import { createDb } from '../../src/db/index.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually } from '../helpers/wait.js';
import { api, cliEnv, kios, killAll, ok, okJson, Served, serveEnv, type Env } from './harness.js';

/**
 * `kios serve` as a child process on a database provisioned with the CLI: the key printed by
 * `kios reseller create` buys a product end to end. On PostgreSQL the API and the worker run as
 * two separate processes.
 */
vi.setConfig({ testTimeout: 180_000 });

const ORDER = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' };

describe.each(DIALECTS)('kios serve (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  const served: Served[] = [];

  const start = (args: string[], extra: Env = {}) => {
    const s = Served.start(serveEnv(db, extra), args);
    served.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    ok(await kios(env, ['demo']));
  });
  afterAll(async () => {
    await Promise.all(served.map((s) => s.stop(5_000)));
    await killAll();
    await db?.drop();
  });

  it('serve (all roles) fulfils an order paid with a key from `kios reseller create`', async () => {
    const r = okJson<{ id: string; api_key: string }>(
      await kios(env, ['reseller', 'create', '--name', 'Toko Serve', '--email', 'serve@example.com', '--role', 'gold', '--balance', '100000', '--json']),
    );
    const s = start(['serve']);
    const url = await s.url();

    const me = await api(url, '/v1/user', r.api_key);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ user_email: 'serve@example.com', role_code: 'gold', user_balance: 100000 });
    const price = (await api(url, `/v1/product?product_code=${ORDER.product_code}`, r.api_key)).json.data.product_price as number;
    expect(price).toBeGreaterThan(0);

    const placed = await api(url, '/v1/order', r.api_key, { ...ORDER, trx_id: 'serve-all-1' });
    expect(placed.status).toBe(201);
    const done = await eventually(async () => {
      const st = await api(url, '/v1/status/trx-id/serve-all-1', r.api_key);
      if (st.json.data?.status !== 'SUCCESS') throw new Error(`order is ${JSON.stringify(st.json)}`);
      return st.json.data;
    }, 30_000);
    expect(done.amount).toBe(price);
    expect((await api(url, '/v1/user', r.api_key)).json.data.user_balance).toBe(100000 - price);

    // The CLI works beside the running server.
    ok(await kios(env, ['reseller', 'deposit', r.id, '1000']));
    expect((await api(url, '/v1/user', r.api_key)).json.data.user_balance).toBe(100000 - price + 1000);
    expect(ok(await kios(env, ['ledger', 'verify'])).trim()).toBe('ledger OK');

    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  it('serve --role api answers a CLI-made key and sees a CLI key rotation at once', async () => {
    const r = okJson<{ id: string; api_key: string }>(await kios(env, ['reseller', 'create', '--name', 'Toko Api', '--email', 'api@example.com', '--balance', '50000', '--json']));
    const s = start(['serve', '--role', 'api']);
    const url = await s.url();
    expect((await api(url, '/v1/user', r.api_key)).json.data.user_email).toBe('api@example.com');
    expect((await api(url, '/v1/user', 'kios_not-a-key')).json.message).toBe('API_KEY_NOT_FOUND');

    const key2 = okJson<{ api_key: string }>(await kios(env, ['reseller', 'rotate-key', r.id, '--json'])).api_key;
    expect((await api(url, '/v1/user', r.api_key)).status).toBe(404);
    expect((await api(url, '/v1/user', key2)).status).toBe(200);

    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  if (dialect === 'postgres') {
    it('over PostgreSQL, `serve --role api` and `serve --role worker` as two processes process an order end to end', async () => {
      const r = okJson<{ id: string; api_key: string }>(
        await kios(env, ['reseller', 'create', '--name', 'Toko PG', '--email', 'pg@example.com', '--role', 'platinum', '--balance', '100000', '--json']),
      );
      // Two hosts in effect: each process has its own data directory; they share only the database and the key.
      const apiDir = join(db.dataDir, 'api-host');
      const workerDir = join(db.dataDir, 'worker-host');
      const apiProc = start(['serve', '--role', 'api'], { DATA_DIR: apiDir });
      const url = await apiProc.url();
      const price = (await api(url, `/v1/product?product_code=${ORDER.product_code}`, r.api_key)).json.data.product_price as number;

      const placed = await api(url, '/v1/order', r.api_key, { ...ORDER, trx_id: 'pg-two-roles-1' });
      expect(placed.status).toBe(201);
      expect(placed.json.data.status).toBe('PENDING');
      expect((await api(url, '/v1/user', r.api_key)).json.data.user_balance).toBe(100000 - price);

      const workerProc = start(['serve', '--role', 'worker'], { DATA_DIR: workerDir });
      const done = await eventually(async () => {
        const st = await api(url, '/v1/status/trx-id/pg-two-roles-1', r.api_key);
        if (st.json.data?.status !== 'SUCCESS') {
          throw new Error(`order is ${JSON.stringify(st.json)}\n--- worker stdout\n${workerProc.stdout}\n--- worker stderr\n${workerProc.stderr}`);
        }
        return st.json.data;
      }, 30_000);
      expect(done.invoice_number).toBe(placed.json.data.invoice_number);
      expect(done.amount).toBe(price);
      expect((await api(url, '/v1/user', r.api_key)).json.data.user_balance).toBe(100000 - price);
      // The API process only wrote the order; the worker process (and it alone) bought it from the supplier.
      const k = createDb(db.url, { poolSize: 1 });
      try {
        const order = await k.kysely.selectFrom('orders').select('id').where('trx_id', '=', 'pg-two-roles-1').executeTakeFirstOrThrow();
        expect([...SimulatorConnector.purchaseCalls(join(workerDir, 'simulator-simulator.jsonl'))]).toEqual([[`${order.id}-1`, 1]]);
        expect(SimulatorConnector.purchaseCalls(join(apiDir, 'simulator-simulator.jsonl')).size).toBe(0);
        // The job is marked done just after the transaction that made its order final.
        await eventually(async () => {
          const jobs = await k.kysely.selectFrom('jobs').select(['kind', 'status']).where('order_id', '=', order.id).execute();
          expect(jobs.filter((j) => j.kind === 'fulfil')).toEqual([{ kind: 'fulfil', status: 'done' }]);
        });
      } finally {
        await k.close();
      }
      expect(ok(await kios(env, ['ledger', 'verify'])).trim()).toBe('ledger OK');

      expect(await workerProc.stop()).toEqual({ code: 0, signal: null });
      expect(await apiProc.stop()).toEqual({ code: 0, signal: null });
    });

    it('over PostgreSQL, 2 api + 2 worker processes under concurrent load, each trx_id raced to both api processes: one invoice, one debit, one purchase', async () => {
      const r = okJson<{ id: string; api_key: string }>(
        await kios(env, ['reseller', 'create', '--name', 'Toko Scale', '--email', 'scale@example.com', '--role', 'platinum', '--balance', '1000000', '--json']),
      );
      const dirs = ['api-a', 'api-b', 'worker-a', 'worker-b'].map((d) => join(db.dataDir, `scale-${d}`));
      const apis = [start(['serve', '--role', 'api'], { DATA_DIR: dirs[0]! }), start(['serve', '--role', 'api'], { DATA_DIR: dirs[1]! })];
      const workers = [start(['serve', '--role', 'worker'], { DATA_DIR: dirs[2]! }), start(['serve', '--role', 'worker'], { DATA_DIR: dirs[3]! })];
      const urls = await Promise.all(apis.map((a) => a.url()));
      const price = (await api(urls[0]!, `/v1/product?product_code=${ORDER.product_code}`, r.api_key)).json.data.product_price as number;

      const ORDERS = 40;
      const answers = await Promise.all(
        Array.from({ length: ORDERS }, (_, i) =>
          Promise.all(urls.map((url) => api(url, '/v2/order', r.api_key, { ...ORDER, user_id: `12345${String(i).padStart(4, '0')}`, trx_id: `race-${i}` }))),
        ),
      );
      for (const [a, b] of answers) {
        // One process created the order (201), the other answered with it (200).
        expect([a!.status, b!.status].sort()).toEqual([200, 201]);
        expect(a!.json.data.invoice_number).toBe(b!.json.data.invoice_number);
      }
      await eventually(async () => {
        const k = createDb(db.url, { poolSize: 1 });
        try {
          const rows = await k.kysely.selectFrom('orders').select('status').where('reseller_id', '=', r.id).where('trx_id', 'like', 'race-%').execute();
          expect(rows).toHaveLength(ORDERS);
          expect(rows.every((o) => o.status === 'SUCCESS')).toBe(true);
        } finally {
          await k.close();
        }
      }, 60_000);
      expect((await api(urls[1]!, '/v1/user', r.api_key)).json.data.user_balance).toBe(1_000_000 - ORDERS * price);
      const k = createDb(db.url, { poolSize: 1 });
      try {
        const orders = await k.kysely.selectFrom('orders').select('id').where('reseller_id', '=', r.id).where('trx_id', 'like', 'race-%').execute();
        const debits = await k.kysely.selectFrom('ledger_entries').select('order_id').where('reseller_id', '=', r.id).where('kind', '=', 'order_debit').execute();
        expect(debits).toHaveLength(ORDERS);
        expect(new Set(debits.map((d) => d.order_id)).size).toBe(ORDERS);
        // Each order bought exactly once, by one of the two workers; the api processes bought nothing.
        const bought = new Map<string, number>();
        for (const dir of dirs) {
          for (const [ref, n] of SimulatorConnector.purchaseCalls(join(dir, 'simulator-simulator.jsonl'))) {
            if (dir.includes('api-')) throw new Error(`api process bought ${ref}`);
            bought.set(ref, (bought.get(ref) ?? 0) + n);
          }
        }
        expect([...bought.keys()].sort()).toEqual(orders.map((o) => `${o.id}-1`).sort());
        expect([...bought.values()].every((n) => n === 1)).toBe(true);
      } finally {
        await k.close();
      }
      expect(ok(await kios(env, ['ledger', 'verify'])).trim()).toBe('ledger OK');
      for (const p of [...workers, ...apis]) expect(await p.stop()).toEqual({ code: 0, signal: null });
    });
  }
});
