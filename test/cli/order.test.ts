import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKios, type Kios } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { insertChunked, orderRow } from '../helpers/bulk-orders.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TEST_ENV } from '../helpers/kios.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/** `kios order list` paging, run as a child process against orders written into a fresh database. */
vi.setConfig({ testTimeout: 180_000 });

interface ListJson {
  orders: { invoice_number: string; reseller_id: string }[];
  next_cursor: string | null;
}

describe.each(DIALECTS)('kios order list (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let k: Kios;
  let resellerA: string;
  /** Invoice numbers, newest first; the middle two share a millisecond. */
  const all = ['INV-ord_5', 'INV-ord_4', 'INV-ord_3', 'INV-ord_2', 'INV-ord_1'];
  const ofA = ['INV-ord_5', 'INV-ord_3', 'INV-ord_1'];

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    k = await createKios(loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir }), { log: pino({ level: 'silent' }) });
    resellerA = (await k.resellers.create({ name: 'Toko A', email: 'toko-a@example.com', role: 'platinum', balance: 0 })).reseller.id;
    const resellerB = (await k.resellers.create({ name: 'Toko B', email: 'toko-b@example.com', role: 'platinum', balance: 0 })).reseller.id;
    const at = Date.UTC(2025, 0, 1);
    await insertChunked(
      k.db.kysely,
      'orders',
      [1, 2, 3, 4, 5].map((n) => orderRow({ id: `ord_${n}`, reseller_id: n % 2 ? resellerA : resellerB, status: 'SUCCESS', created_at: at + (n === 4 ? 3 : n) * 1000 })),
    );
  });
  afterAll(async () => {
    await killAll();
    await k?.close();
    await db?.drop();
  });

  it('--json pages with next_cursor until it is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListJson = okJson<ListJson>(await kios(env, ['order', 'list', '--limit', '2', ...(cursor ? ['--cursor', cursor] : []), '--json']));
      expect(page.orders.length).toBeLessThanOrEqual(2);
      seen.push(...page.orders.map((o) => o.invoice_number));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });

  it('prints the command for the next page, which keeps the filters and can be run as printed', async () => {
    const first = ok(await kios(env, ['order', 'list', '--reseller', 'toko-a@example.com', '--limit', '2']));
    expect(first.match(/^INV-\S+/gm)).toEqual(ofA.slice(0, 2));
    const next = first.match(/^next page: kios (order list --reseller (\S+) --limit 2 --cursor \S+)$/m);
    expect(next, first).not.toBeNull();
    expect(next![2]).toBe(resellerA);

    const second = ok(await kios(env, next![1]!.split(' ')));
    expect(second.match(/^INV-\S+/gm)).toEqual(ofA.slice(2));
    expect(second).not.toMatch(/next page/);
  });

  it('refuses a cursor it did not give out', async () => {
    expectRefused(await kios(env, ['order', 'list', '--cursor', 'bogus']), /not a cursor from an order list: bogus/);
  });
});
