import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { markedUp } from '../../src/pricing/markup.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { FakeCatalog } from '../fakes/catalog.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { KiosgameFake } from '../fakes/kiosgame.js';
import { VcgamersFake } from '../fakes/vcgamers.js';

/** Every catalog table, ordered: two equal dumps mean a sync wrote nothing that matters. */
async function catalogDump(k: Kysely<Database>) {
  return {
    categories: await k.selectFrom('categories').selectAll().orderBy('id').execute(),
    products: await k.selectFrom('products').selectAll().orderBy('id').execute(),
    prices: await k.selectFrom('product_prices').selectAll().orderBy('product_id').orderBy('role_code').execute(),
    routes: await k.selectFrom('product_routes').selectAll().orderBy('id').execute(),
    supplierProducts: await k.selectFrom('supplier_products').selectAll().orderBy('supplier_id').orderBy('sku').execute(),
    brands: await k.selectFrom('supplier_brands').selectAll().orderBy('supplier_id').orderBy('brand').execute(),
  };
}

async function routeOf(k: Kysely<Database>, supplier: string, sku: string) {
  return k
    .selectFrom('product_routes as r')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .select(['p.id as product_id', 'p.code', 'p.is_active as product_active', 'r.cost', 'r.is_active'])
    .where('r.supplier_id', '=', supplier)
    .where('r.sku', '=', sku)
    .executeTakeFirstOrThrow();
}

/** The kios category a supplier's brand was synced into (the demo catalog has look-alike titles). */
function brandCategory(k: Kysely<Database>, supplier: string, brand: string) {
  return k
    .selectFrom('supplier_brands as b')
    .innerJoin('categories as c', 'c.id', 'b.category_id')
    .selectAll('c')
    .where('b.supplier_id', '=', supplier)
    .where('b.brand', '=', brand)
    .executeTakeFirstOrThrow();
}

async function priceOf(k: Kysely<Database>, productId: string, tier: string) {
  return (await k.selectFrom('product_prices').select('price').where('product_id', '=', productId).where('role_code', '=', tier).executeTakeFirst())?.price ?? null;
}

describe.each(DIALECTS)('catalog sync from a Digiflazz price list (%s)', (dialect) => {
  let t: TestKios;
  let df: DigiflazzFake;
  const catalog = new FakeCatalog(300);

  beforeAll(async () => {
    df = await DigiflazzFake.start({ catalog });
    t = await TestKios.start(dialect);
    await t.kios.suppliers.add('digiflazz', 'digi', df.config());
  });
  afterAll(async () => {
    await t?.close();
    await df?.close();
  });

  it('a dry run reports what the first run creates and writes nothing', async () => {
    const before = await catalogDump(t.kios.db.kysely);
    const dry = await t.kios.catalogSync.run('digi', { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.created).toHaveLength(300);
    expect(await catalogDump(t.kios.db.kysely)).toEqual(before);
  });

  it('the first run creates one category per brand and one product + route per supplier product; the second changes nothing', async () => {
    await t.kios.pricing.addRule({ tier: 'gold', percentBp: 300, fixed: 200, roundStep: 100 });
    const phases = new Set<string>();
    const first = await t.kios.catalogSync.run('digi', { onProgress: (p) => phases.add(`${p.phase}:${p.total === null ? '?' : 'n'}`) });
    expect([...phases]).toEqual(expect.arrayContaining(['fetch:n', 'apply:n']));
    expect(first.fetched).toBe(300);
    expect(first.created).toHaveLength(300);
    // One category per brand: new ones, or the demo catalog's category of the same title.
    const brands = await t.kios.db.kysely.selectFrom('supplier_brands').selectAll().where('supplier_id', '=', 'digi').execute();
    expect(brands).toHaveLength(8);
    expect(new Set(brands.map((b) => b.category_id)).size).toBe(8);
    expect(first.createdCategories.length).toBeLessThan(8);
    // Gold has a rule: every new product is priced for gold, and only for gold.
    expect(first.repriced.filter((c) => c.tier === 'gold')).toHaveLength(300);
    expect(first.unpriced).toEqual([]);
    const p = catalog.get('MLBB10');
    const r = await routeOf(t.kios.db.kysely, 'digi', 'MLBB10');
    expect(r).toMatchObject({ code: 'MLBB10', cost: p.price, is_active: 1 });
    expect(await priceOf(t.kios.db.kysely, r.product_id, 'gold')).toBe(markedUp(p.price, { percentBp: 300, fixed: 200, roundStep: 100 }));
    expect(await priceOf(t.kios.db.kysely, r.product_id, 'member')).toBeNull();
    const ml = await brandCategory(t.kios.db.kysely, 'digi', 'MOBILE LEGENDS');
    // Digiflazz's "MOBILE LEGENDS" joined the existing "Mobile Legends" instead of duplicating it.
    expect(ml).toMatchObject({ title: 'Mobile Legends', code: 'ML', type: 'game' });
    const pubg = await brandCategory(t.kios.db.kysely, 'digi', 'PUBG MOBILE');
    expect(first.createdCategories).toContain(pubg.code);

    const after = await catalogDump(t.kios.db.kysely);
    const second = await t.kios.catalogSync.run('digi');
    expect(second.writes).toBe(0);
    expect(second.created).toEqual([]);
    expect(second.repriced).toEqual([]);
    expect(await catalogDump(t.kios.db.kysely)).toEqual(after);
  });

  it('a price rise at the supplier moves that route\'s cost and reprices exactly the products it serves first', async () => {
    const before = await catalogDump(t.kios.db.kysely);
    const risen = catalog.get('FF20');
    const oldCost = risen.price;
    risen.price += 1_000;
    const r = await t.kios.catalogSync.run('digi');
    expect(r.costChanged).toEqual([{ code: 'FF20', sku: 'FF20', from: oldCost, to: risen.price }]);
    expect(r.repriced.map((c) => [c.productCode, c.tier, c.to])).toEqual([['FF20', 'gold', markedUp(risen.price, { percentBp: 300, fixed: 200, roundStep: 100 })]]);
    const after = await catalogDump(t.kios.db.kysely);
    const changedPrices = after.prices.filter((x, i) => x.price !== before.prices[i]!.price);
    expect(changedPrices).toHaveLength(1);
    expect(after.routes.filter((x, i) => x.cost !== before.routes[i]!.cost)).toHaveLength(1);
  });

  it('a hand-set price the new cost overtakes is kept and reported, never lowered or raised silently', async () => {
    const r0 = await routeOf(t.kios.db.kysely, 'digi', 'GI12');
    await t.kios.db.kysely.insertInto('product_prices').values({ product_id: r0.product_id, role_code: 'member', price: catalog.get('GI12').price + 50 }).execute();
    catalog.get('GI12').price += 500;
    const r = await t.kios.catalogSync.run('digi');
    expect(r.belowCost).toContainEqual({ productCode: 'GI12', tier: 'member', price: catalog.get('GI12').price - 450, cost: catalog.get('GI12').price, why: 'hand-set' });
    expect(await priceOf(t.kios.db.kysely, r0.product_id, 'member')).toBe(catalog.get('GI12').price - 450);
  });

  it('a product gone from the supplier switches off only that route; the product and its other routes stay', async () => {
    const r0 = await routeOf(t.kios.db.kysely, 'digi', 'PUBGM10');
    await t.kios.routes.add('PUBGM10', 'simulator', 'PUBGM10', { cost: r0.cost! + 10 });
    catalog.remove('PUBGM10');
    const r = await t.kios.catalogSync.run('digi');
    expect(r.deactivated).toEqual([{ code: 'PUBGM10', sku: 'PUBGM10', why: 'gone' }]);
    expect(await routeOf(t.kios.db.kysely, 'digi', 'PUBGM10')).toMatchObject({ is_active: 0, product_active: 1 });
    expect(await routeOf(t.kios.db.kysely, 'simulator', 'PUBGM10')).toMatchObject({ is_active: 1 });
    // The simulator's route now serves it: the gold price follows that route's cost.
    expect(await priceOf(t.kios.db.kysely, r0.product_id, 'gold')).toBe(markedUp(r0.cost! + 10, { percentBp: 300, fixed: 200, roundStep: 100 }));
    expect((await t.kios.catalogSync.run('digi')).writes).toBe(0);
  });

  it('a product switched off at the supplier switches off its route, and back on when it returns', async () => {
    catalog.get('VALO12').active = false;
    const off = await t.kios.catalogSync.run('digi');
    expect(off.deactivated).toEqual([{ code: 'VALO12', sku: 'VALO12', why: 'inactive' }]);
    expect((await routeOf(t.kios.db.kysely, 'digi', 'VALO12')).is_active).toBe(0);
    catalog.get('VALO12').active = true;
    const on = await t.kios.catalogSync.run('digi');
    expect(on.reactivated).toEqual([{ code: 'VALO12', sku: 'VALO12' }]);
    expect((await routeOf(t.kios.db.kysely, 'digi', 'VALO12')).is_active).toBe(1);
  });

  it('a supplier whose list cannot be read changes nothing', async () => {
    const before = await catalogDump(t.kios.db.kysely);
    df.down = true;
    try {
      await expect(t.kios.catalogSync.run('digi')).rejects.toThrow();
    } finally {
      df.down = false;
    }
    expect(await catalogDump(t.kios.db.kysely)).toEqual(before);
  }, 30_000);
});

describe.each(DIALECTS)('catalog sync from VCGamers: brands with input forms (%s)', (dialect) => {
  let t: TestKios;
  let vcg: VcgamersFake;

  beforeAll(async () => {
    vcg = await VcgamersFake.start({ catalog: new FakeCatalog(120) });
    t = await TestKios.start(dialect);
    await t.kios.suppliers.add('vcgamers', 'vcg', vcg.config());
    await t.kios.pricing.addRule({ tier: 'platinum', percentBp: 200, fixed: 0, roundStep: 50 });
  });
  afterAll(async () => {
    await t?.close();
    await vcg?.close();
  });
  afterEach(() => {
    vcg.lastData.clear();
  });

  it('brands become categories carrying the brand\'s form; routes use brand_key/variation_key', async () => {
    const r = await t.kios.catalogSync.run('vcg');
    expect(r.created).toHaveLength(120);
    const gi = await brandCategory(t.kios.db.kysely, 'vcg', 'Genshin Impact');
    expect(JSON.parse(gi.form!)).toEqual([
      { key: 'user_id', type: 'numeric', alias: 'UID' },
      { key: 'additional_id', type: 'option', alias: 'SERVER', options: ['os_asia', 'os_usa', 'os_euro', 'os_cht'] },
    ]);
    expect(gi.is_server).toBe(1);
    expect(await routeOf(t.kios.db.kysely, 'vcg', 'GI/GI12')).toMatchObject({ code: 'GI12', is_active: 1 });
    expect((await t.kios.catalogSync.run('vcg')).writes).toBe(0);
  });

  it('an order with a valid option reaches VCGamers with exactly the documented data array', async () => {
    const buyer = await t.reseller({ balance: 1_000_000 });
    const res = await t.order(buyer.apiKey, { product_code: 'GI12', user_id: '800123456', server_id: 'OS_ASIA' });
    expect(res.status, res.text).toBe(201);
    const o = await t.settle(res.json.data.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(o.server_id).toBe('os_asia');
    expect([...vcg.lastData.values()]).toEqual([
      [
        { key: 'user_id', value: '800123456' },
        { key: 'additional_id', value: 'os_asia' },
      ],
    ]);
  });

  it('a missing or invalid option, or letters in a numeric field, is INVALID_USER_ID and charges nothing', async () => {
    const buyer = await t.reseller({ balance: 1_000_000 });
    const before = await t.snapshot();
    for (const body of [
      { product_code: 'GI12', user_id: '800123456', server_id: 'os_mars' },
      { product_code: 'GI12', user_id: '800123456' },
      { product_code: 'GI12', user_id: '80012abc', server_id: 'os_asia' },
      { product_code: 'MLBB10', user_id: '800123456', server_id: 'zone1' },
    ]) {
      const res = await t.order(buyer.apiKey, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.message).toBe('INVALID_USER_ID');
    }
    expect(await t.snapshot()).toEqual(before);
    expect(vcg.lastData.size).toBe(0);
  });
});

describe.each(DIALECTS)('catalog sync within the supplier\'s rate limit (%s)', (dialect) => {
  it('a pull of many requests (brands, then variations per brand) stays under the account\'s limit: nothing refused, nothing dropped', async () => {
    // 3 requests per 500 ms at kios, enforced by the fake too (rc 45 beyond it): 9 requests need 3
    // windows. The fake counts arrivals over 400 ms: the 100 ms between is the jitter a loaded
    // machine adds between kios sending a request and the fake seeing it (a kios ignoring the
    // limit sends all 9 at once and is still refused).
    const vcg = await VcgamersFake.start({ catalog: new FakeCatalog(40), rateLimit: { requests: 3, perMs: 400 } });
    const t = await TestKios.start(dialect);
    try {
      await t.kios.suppliers.add('vcgamers', 'vcg', vcg.config({ rate_limit: { requests: 3, per_seconds: 0.5 } }));
      const r = await t.kios.catalogSync.run('vcg');
      expect(r.created).toHaveLength(40);
      expect(vcg.limited).toBe(0);
      expect(vcg.requests.filter((q) => q.path.startsWith('/v2/public/'))).toHaveLength(9);
    } finally {
      await t.close();
      await vcg.close();
    }
  });
});

describe.each(DIALECTS)('catalog sync from a Kiosgame-style platform (%s)', (dialect) => {
  let t: TestKios;
  let kg: KiosgameFake;
  const catalog = new FakeCatalog(80);

  beforeAll(async () => {
    kg = await KiosgameFake.start({ catalog });
    t = await TestKios.start(dialect);
    await t.kios.suppliers.add('kiosgame', 'tg', kg.config());
  });
  afterAll(async () => {
    await t?.close();
    await kg?.close();
  });

  it('/v1/category says which brands need a server id; /v1/products gives products and costs; re-running changes nothing', async () => {
    const r = await t.kios.catalogSync.run('tg');
    expect(r.created).toHaveLength(80);
    const cats = await Promise.all(['Free Fire', 'Mobile Legends', 'Steam Wallet'].map((b) => brandCategory(t.kios.db.kysely, 'tg', b)));
    expect(cats.map((c) => ({ title: c.title, is_server: c.is_server, type: c.type }))).toEqual([
      { title: 'Free Fire', is_server: 0, type: 'game' },
      { title: 'Mobile Legends', is_server: 1, type: 'game' },
      { title: 'Steam Wallet', is_server: 0, type: 'voucher' },
    ]);
    expect((await routeOf(t.kios.db.kysely, 'tg', 'MLBB10')).cost).toBe(catalog.get('MLBB10').price);
    // New products are not sold to any tier until priced (no rule yet): listed for the operator.
    expect(r.unpriced).toHaveLength(80);
    expect((await t.kios.catalogSync.run('tg')).writes).toBe(0);
  });

  it('a hand-made route to a supplier product is adopted by the first sync, not duplicated', async () => {
    const kg2 = await KiosgameFake.start({ catalog: new FakeCatalog(16) });
    try {
      await t.kios.suppliers.add('kiosgame', 'tg2', kg2.config());
      await t.kios.routes.add('S4_ML86', 'tg2', 'MLBB10', { cost: 1 });
      const r = await t.kios.catalogSync.run('tg2');
      expect(r.adopted).toEqual([{ code: 'S4_ML86', sku: 'MLBB10' }]);
      expect(r.created).toHaveLength(15);
      expect(await routeOf(t.kios.db.kysely, 'tg2', 'MLBB10')).toMatchObject({ code: 'S4_ML86', cost: 2_650 });
    } finally {
      await kg2.close();
    }
  });
});
