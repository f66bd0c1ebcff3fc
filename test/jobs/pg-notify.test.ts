import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { serve, type Running } from '../../src/serve.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TEST_ENV } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';

// Separate API and worker processes' services over one PostgreSQL: the worker polls only once a
// minute, so an order fulfilled within 20 s proves the API's notification woke it.
describe.runIf(DIALECTS.includes('postgres'))('job wake-ups across processes (postgres)', () => {
  let db: TestDatabase;
  let api: Running;
  let worker: Running;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    const env = { ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir, WORKER_POLL_MS: '60000' };
    api = await serve(loadConfig(env), 'api');
    worker = await serve(loadConfig(env), 'worker');
    await api.kios.catalog.import(DEMO_CATALOG);
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await db?.drop();
  });

  it('a worker in another process starts an order queued by the API at once', async () => {
    expect(api.worker).toBeNull();
    expect(worker.http).toBeNull();
    const { reseller, apiKey } = await api.kios.resellers.create({ name: 'N', email: 'n@example.com', role: 'platinum', balance: 100_000 });
    const res = await fetch(`${api.url}/v1/order`, {
      method: 'POST',
      headers: { authorization: apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ product_code: 'FF70', user_id: '123456' }),
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { invoice_number: string } };
    const order = await eventually(async () => {
      const o = await api.kios.db.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', data.invoice_number).executeTakeFirstOrThrow();
      if (o.status === 'PENDING') throw new Error('still pending');
      return o;
    }, 20_000);
    expect(order.status).toBe('SUCCESS');
    expect(await api.kios.orders.balanceOf(reseller.id)).toBe(100_000 - order.amount);
  });
});

// Behind a transaction-pooling PgBouncer notifications are lost: PG_NOTIFY=false leaves them out,
// and a worker polling every 200 ms still takes the API's orders.
describe.runIf(DIALECTS.includes('postgres'))('PG_NOTIFY=false: polling only (postgres)', () => {
  let db: TestDatabase;
  let api: Running;
  let worker: Running;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    const env = { ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir, WORKER_POLL_MS: '200', PG_NOTIFY: 'false' };
    api = await serve(loadConfig(env), 'api');
    worker = await serve(loadConfig(env), 'worker');
    await api.kios.catalog.import(DEMO_CATALOG);
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await db?.drop();
  });

  it('no LISTEN connection is opened, and orders are still fulfilled', async () => {
    expect(api.kios.notifier).toBeNull();
    expect(worker.kios.notifier).toBeNull();
    const { apiKey } = await api.kios.resellers.create({ name: 'P', email: 'p@example.com', role: 'platinum', balance: 100_000 });
    const res = await fetch(`${api.url}/v1/order`, { method: 'POST', headers: { authorization: apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ product_code: 'FF70', user_id: '123457' }) });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { invoice_number: string } };
    await eventually(async () => {
      const o = await api.kios.db.kysely.selectFrom('orders').select('status').where('invoice_number', '=', data.invoice_number).executeTakeFirstOrThrow();
      expect(o.status).toBe('SUCCESS');
    }, 20_000);
  });
});
