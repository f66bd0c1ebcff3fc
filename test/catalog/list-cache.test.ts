import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogListCache } from '../../src/catalog/list-cache.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';

/**
 * `GET /v1/products` answers from a per-process cache filed under the catalog version (migration
 * 0012). Every change to the catalog, by whichever process or path, must show on the next request
 * to any process; nothing else may.
 */

interface Listed {
  product_code: string;
  product_price: number;
  is_active: boolean;
}

describe.each(DIALECTS)('product lists cached under the catalog version (%s)', (dialect) => {
  let a: TestKios;
  let b: TestKios;
  let r: Reseller;
  const list = async (t: TestKios, query = '') => {
    const res = await t.request<{ data: Listed[] }>('GET', `/v1/products${query}`, { key: r.apiKey });
    expect(res.status).toBe(200);
    return res.json.data;
  };
  const ff70 = async (t: TestKios) => (await list(t)).find((p) => p.product_code === 'FF70')!;
  const version = async (t: TestKios) => Number((await t.kios.db.kysely.selectFrom('catalog_version').select('version').executeTakeFirstOrThrow()).version);

  beforeAll(async () => {
    a = await TestKios.start(dialect);
    // A second process on the same database: the operator's CLI, a dashboard, another api process.
    b = await TestKios.start(dialect, {}, { existing: a.db });
    r = await a.reseller({ role: 'gold' });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  it('a price set by another process shows on the next request; the answer is the same bytes as uncached', async () => {
    const before = await ff70(a);
    const cached = await a.request('GET', '/v1/products', { key: r.apiKey });
    expect(cached.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(cached.text)).toEqual({ statusCode: 200, message: 'success', data: await list(b) });
    await b.kios.products.setPrice('FF70', 'gold', before.product_price + 111);
    expect((await ff70(a)).product_price).toBe(before.product_price + 111);
  });

  it('a product or category switched off, and a change made in bare SQL, show at once', async () => {
    await b.kios.products.setActive('FF70', false);
    expect((await ff70(a)).is_active).toBe(false);
    await b.kios.products.setActive('FF70', true);
    expect((await ff70(a)).is_active).toBe(true);

    const k = b.kios.db.kysely;
    const ff = await k.selectFrom('products').select(['id', 'category_id']).where('code', '=', 'FF70').executeTakeFirstOrThrow();
    await k.updateTable('categories').set({ is_active: 0 }).where('id', '=', ff.category_id).execute();
    expect((await ff70(a)).is_active).toBe(false);
    await k.updateTable('categories').set({ is_active: 1 }).where('id', '=', ff.category_id).execute();
    await k.updateTable('product_prices').set({ price: 4242 }).where('product_id', '=', ff.id).where('role_code', '=', 'gold').execute();
    expect((await ff70(a)).product_price).toBe(4242);
    // The category filter is cached on its own, and changes reach it too.
    expect((await list(a, `?category_id=${ff.category_id}`)).map((p) => p.product_code)).toContain('FF70');
    await k.deleteFrom('product_prices').where('product_id', '=', ff.id).where('role_code', '=', 'gold').execute();
    expect((await list(a, `?category_id=${ff.category_id}`)).map((p) => p.product_code)).not.toContain('FF70');
    expect((await list(a)).map((p) => p.product_code)).not.toContain('FF70');
  });

  it('the version moves once per committed catalog change, not with orders or rolled-back changes', async () => {
    const v0 = await version(a);
    // Orders, balances and reads do not touch the catalog.
    await a.reseller();
    await list(a);
    expect(await version(a)).toBe(v0);
    // A rolled-back change leaves it as it was.
    await expect(
      b.kios.db.transaction(async (trx) => {
        await trx.updateTable('product_prices').set({ price: 1 }).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await version(a)).toBe(v0);
    // Many rows in one transaction: the version moves (once on PostgreSQL, where the bump is per transaction).
    const rows = Number((await sql<{ n: number }>`select count(*) as n from product_prices`.execute(b.kios.db.kysely)).rows[0]!.n);
    await b.kios.db.transaction(async (trx) => {
      await trx.updateTable('product_prices').set((eb) => ({ price: eb('price', '+', 1) })).execute();
    });
    const v1 = await version(a);
    expect(v1).toBeGreaterThan(v0);
    if (dialect === 'postgres') expect(v1).toBe(v0 + 1);
    else expect(v1).toBe(v0 + rows);
  });

  it('a tier change of the reseller answers its new tier at once', async () => {
    const gold = await list(a);
    await b.kios.db.kysely.updateTable('resellers').set({ role_code: 'platinum' }).where('id', '=', r.id).execute();
    const platinum = await list(a);
    const prices = await b.kios.db.kysely
      .selectFrom('product_prices as pp')
      .innerJoin('products as p', 'p.id', 'pp.product_id')
      .select(['p.code', 'pp.price'])
      .where('pp.role_code', '=', 'platinum')
      .execute();
    expect(Object.fromEntries(platinum.map((p) => [p.product_code, p.product_price]))).toEqual(Object.fromEntries(prices.map((p) => [p.code, p.price])));
    expect(platinum).not.toEqual(gold);
  });
});

describe('CatalogListCache', () => {
  it('builds once per key and version; concurrent misses share one build', async () => {
    const cache = new CatalogListCache<string>();
    let builds = 0;
    const build = async () => `built ${++builds}`;
    const [x, y] = await Promise.all([cache.get(1, 'k', build), cache.get(1, 'k', build)]);
    expect([x, y]).toEqual(['built 1', 'built 1']);
    expect(await cache.get(1, 'k', build)).toBe('built 1');
    expect(await cache.get(1, 'other', build)).toBe('built 2');
    // Any other version (newer, or older after a restore) starts over.
    expect(await cache.get(2, 'k', build)).toBe('built 3');
    expect(await cache.get(1, 'k', build)).toBe('built 4');
  });

  it('does not keep a failed build, and starts over when full', async () => {
    const cache = new CatalogListCache<number>(2);
    await expect(cache.get(1, 'k', async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await cache.get(1, 'k', async () => 1)).toBe(1);
    expect(await cache.get(1, 'l', async () => 2)).toBe(2);
    expect(await cache.get(1, 'm', async () => 3)).toBe(3);
    // 'k' was dropped when 'm' did not fit.
    expect(await cache.get(1, 'k', async () => 4)).toBe(4);
  });
});
