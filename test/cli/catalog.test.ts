import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../src/db/index.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios catalog import|export`, `kios demo`, `kios migrate` and `kios ledger verify` run as child
 * processes against fresh databases.
 */
vi.setConfig({ testTimeout: 180_000 });

type Exported = {
  tiers: { code: string; name: string; order: number }[];
  suppliers: Record<string, unknown>[];
  categories: { id: string; code: string; slug: string; products: { id: string; code: string; prices: Record<string, number>; routes: { supplier: string; sku: string }[] }[] }[];
};

const productCount = (e: Exported) => e.categories.reduce((n, c) => n + c.products.length, 0);

/** A valid file: a new tier, a second simulator supplier (with options), two categories. */
const VALID = {
  tiers: [{ code: 'silver', name: 'Silver Member', order: 4 }],
  suppliers: [{ id: 'sim-two', kind: 'simulator', name: 'Second simulator', config: { latency_ms: 5, pending_ms: 1000 } }],
  categories: [
    {
      code: 'VAL',
      type: 'game',
      title: 'Valorant',
      subtitle: 'Riot Games',
      slug: 'valorant',
      order: 20,
      server: { required: false, split: null },
      products: [
        { code: 'VAL125', name: '125 Points', prices: { member: 15000, silver: 14500, platinum: 14000 }, routes: [{ supplier: 'sim-two', sku: 'V125', cost: 13800 }, { supplier: 'simulator', sku: 'VAL125', cost: 13900, active: false }], order: 1 },
        { code: 'VAL420', name: '420 Points', prices: { member: 50000 }, routes: [{ supplier: 'simulator', sku: 'VAL420' }], order: 2, active: false },
      ],
    },
    {
      code: 'STM',
      type: 'voucher',
      title: 'Steam Wallet',
      slug: 'steam-wallet',
      order: 21,
      check_account: false,
      products: [{ code: 'STM12', name: 'Steam Rp 12.000', prices: { silver: 12500 }, routes: [{ supplier: 'sim-two', sku: 'S12' }] }],
    },
  ],
};

/** Six mistakes (and some valid parts, which must not be written either). */
const MISTAKES = {
  tiers: [{ code: 'bronze', name: 'Bronze Member', order: 9 }],
  suppliers: [{ id: 'sim-three', kind: 'simulator', name: 'Third simulator' }],
  categories: [
    {
      code: 'OKG',
      type: 'game',
      title: 'A Fine Game',
      slug: 'a-fine-game',
      products: [{ code: 'OK1', name: 'Fine', prices: { member: 1000 }, routes: [{ supplier: 'sim-three', sku: 'OK1' }] }],
    },
    {
      code: 'BAD',
      type: 'game',
      title: 'A Bad Game',
      slug: 'a-bad-game',
      server: { required: true, split: '^(?<user>\\d+(?<server>\\d{4})$' },
      products: [
        { code: 'BAD1', name: 'Unknown tier', prices: { diamond: 100 }, routes: [{ supplier: 'simulator', sku: 'B1' }] },
        { code: 'BAD2', name: 'Unknown supplier', prices: { member: 100 }, routes: [{ supplier: 'no-such-supplier', sku: 'B2' }] },
        { code: 'OK1', name: 'Duplicate code', prices: { member: 100 }, routes: [{ supplier: 'simulator', sku: 'B3' }] },
        { code: 'BAD4', name: 'Fractional price', prices: { member: 100.5 }, routes: [{ supplier: 'simulator', sku: 'B4' }] },
        { code: 'BAD5', name: 'Unknown field', prices: { member: 100 }, routes: [{ supplier: 'simulator', sku: 'B5' }], colour: 'red' },
      ],
    },
  ],
};

describe.each(DIALECTS)('kios catalog, demo, migrate, ledger (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  const extra: TestDatabase[] = [];

  const fresh = async () => {
    const d = await freshDatabase(dialect);
    extra.push(d);
    return d;
  };
  const writeJson = (name: string, data: unknown) => {
    const path = join(db.dataDir, name);
    writeFileSync(path, JSON.stringify(data, null, 2));
    return path;
  };
  const exportText = async (e: Env = env) => ok(await kios(e, ['catalog', 'export']));

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    ok(await kios(env, ['demo']));
  });
  afterAll(async () => {
    await killAll();
    for (const d of [db, ...extra]) await d?.drop();
  });

  it('migrate applies the schema once, then reports it up to date', async () => {
    const d = await fresh();
    const e = cliEnv(d);
    const first = okJson<{ applied: string[]; database: string }>(await kios(e, ['migrate', '--json']));
    expect(first.applied).toContain('0001-initial');
    const again = okJson<{ applied: string[] }>(await kios(e, ['migrate', '--json']));
    expect(again.applied).toEqual([]);
    expect(ok(await kios(e, ['migrate'])).trim()).toMatch(/^schema is up to date \((sqlite|postgres)/);
  });

  it('demo seeds the catalog and the demo reseller; a second run changes nothing', async () => {
    const d = await fresh();
    const e = cliEnv(d);
    const first = okJson<{ reseller_id: string; api_key: string; products: number; created: boolean }>(await kios(e, ['demo', '--json']));
    expect(first.created).toBe(true);
    expect(first.reseller_id).toMatch(/^rs_/);
    expect(first.api_key).toMatch(/^kios_/);
    const catalogBefore = await exportText(e);
    expect(productCount(JSON.parse(catalogBefore))).toBe(first.products);
    const resellersBefore = ok(await kios(e, ['reseller', 'list', '--json']));

    const second = okJson(await kios(e, ['demo', '--json']));
    expect(second).toEqual({ ...first, created: false });
    const human = ok(await kios(e, ['demo']));
    expect(human).toContain(`demo reseller: ${first.reseller_id} (already there)`);
    expect(human).toContain(`demo catalog: ${first.products} products`);
    expect(human).toContain(`api key: ${first.api_key}`);

    expect(await exportText(e)).toBe(catalogBefore);
    expect(ok(await kios(e, ['reseller', 'list', '--json']))).toBe(resellersBefore);
    const list = JSON.parse(resellersBefore) as { id: string; email: string; balance: number }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: first.reseller_id, email: 'demo@kios.local', balance: 1_000_000 });
    expect(ok(await kios(e, ['ledger', 'verify'])).trim()).toBe('ledger OK');
  });

  it('imports a valid file and prints its counts; export shows it without supplier options', async () => {
    const file = writeJson('valid.json', VALID);
    const counts = okJson(await kios(env, ['catalog', 'import', file, '--json']));
    expect(counts).toEqual({ tiers: 1, suppliers: 1, categories: 2, products: 3 });
    // Importing the same file again is an upsert: same counts, nothing duplicated.
    expect(ok(await kios(env, ['catalog', 'import', file])).trim()).toBe('imported 2 categories, 3 products, 1 tiers, 1 suppliers');

    const text = await exportText();
    const exported = JSON.parse(text) as Exported;
    expect(exported.tiers.map((t) => t.code)).toEqual(['member', 'gold', 'platinum', 'silver']);
    expect(exported.suppliers).toEqual([
      { id: 'sim-two', kind: 'simulator', name: 'Second simulator', active: true },
      { id: 'simulator', kind: 'simulator', name: 'Built-in simulator', active: true },
    ]);
    expect(text).not.toContain('latency_ms');
    const val = exported.categories.find((c) => c.slug === 'valorant')!;
    expect(val.code).toBe('VAL');
    expect(val.products.map((p) => [p.code, p.prices, p.routes])).toEqual([
      ['VAL125', { member: 15000, platinum: 14000, silver: 14500 }, [{ supplier: 'sim-two', sku: 'V125', cost: 13800, active: true }, { supplier: 'simulator', sku: 'VAL125', cost: 13900, active: false }]],
      ['VAL420', { member: 50000 }, [{ supplier: 'simulator', sku: 'VAL420', cost: null, active: true }]],
    ]);
    expect(exported.categories.find((c) => c.slug === 'steam-wallet')!.products.map((p) => p.code)).toEqual(['STM12']);
    // The new tier is usable at once.
    const r = okJson<{ id: string }>(await kios(env, ['reseller', 'create', '--name', 'Silver', '--email', 'silver@example.com', '--role', 'silver', '--json']));
    expect(okJson(await kios(env, ['reseller', 'show', r.id, '--json'])).role).toBe('silver');
  });

  it('a file with several mistakes is refused listing every one, and nothing is written', async () => {
    const before = await exportText();
    const file = writeJson('mistakes.json', MISTAKES);
    const r = await kios(env, ['catalog', 'import', file]);
    expectRefused(r, /catalog file is not valid/);
    const problems = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    const expected = [
      /unknown tier "diamond"/,
      /unknown supplier "no-such-supplier"/,
      /product code OK1 appears more than once/,
      /\(a-bad-game\)\.server\.split: not a valid regular expression/,
      /categories\.1\.products\.3\.prices\.member: prices are whole rupiah/,
      /categories\.1\.products\.4: Unrecognized key: "colour"/,
    ];
    for (const re of expected) expect(problems.filter((p) => re.test(p)), `${re} in\n${r.stderr}`).toHaveLength(1);
    expect(problems).toHaveLength(expected.length);
    expect(await exportText()).toBe(before);

    // Without the schema mistakes the cross-checks alone still refuse the file, inside the transaction.
    const crossOnly = structuredClone(MISTAKES);
    crossOnly.categories[1]!.products = crossOnly.categories[1]!.products.slice(0, 3);
    const r2 = await kios(env, ['catalog', 'import', writeJson('cross-only.json', crossOnly)]);
    expectRefused(r2, /unknown tier "diamond"/);
    expect(r2.stderr).toMatch(/unknown supplier "no-such-supplier"/);
    expect(await exportText()).toBe(before);
    expectRefused(await kios(env, ['reseller', 'create', '--name', 'B', '--email', 'bronze@example.com', '--role', 'bronze']), /unknown role "bronze"/);
  });

  it('refuses an unreadable or malformed file with a clear message', async () => {
    const before = await exportText();
    expectRefused(await kios(env, ['catalog', 'import', join(db.dataDir, 'missing.json')]), /cannot read .*missing\.json: ENOENT/);
    const broken = join(db.dataDir, 'broken.json');
    writeFileSync(broken, '{"tiers": [');
    expectRefused(await kios(env, ['catalog', 'import', broken]), /cannot read .*broken\.json: .*JSON/);
    expectRefused(await kios(env, ['catalog', 'import', writeJson('array.json', [1, 2])]), /catalog file is not valid/);
    expect(await exportText()).toBe(before);
  });

  it('export -> import -> export is stable, and re-import keeps supplier options', async () => {
    ok(await kios(env, ['catalog', 'import', writeJson('valid-again.json', VALID)]));
    const k = createDb(db.url, { poolSize: 1 });
    try {
      const configs = () => k.kysely.selectFrom('suppliers').select(['id', 'config_enc']).orderBy('id').execute();
      const configsBefore = await configs();
      expect(configsBefore.find((s) => s.id === 'sim-two')?.config_enc).toBeTruthy();

      const path = join(db.dataDir, 'export.json');
      expect(ok(await kios(env, ['catalog', 'export', '-o', path]))).toBe('');
      const first = readFileSync(path, 'utf8');
      expect(await exportText()).toBe(first);
      const parsed = JSON.parse(first) as Exported;

      const counts = okJson(await kios(env, ['catalog', 'import', path, '--json']));
      expect(counts).toEqual({ tiers: parsed.tiers.length, suppliers: parsed.suppliers.length, categories: parsed.categories.length, products: productCount(parsed) });
      expect(await exportText()).toBe(first);
      expect(await configs()).toEqual(configsBefore);
    } finally {
      await k.close();
    }
  });

  it('ledger verify says OK (exit 0) on a consistent database and exits 2 on a broken one', async () => {
    const d = await fresh();
    const e = cliEnv(d);
    const r = okJson<{ id: string }>(await kios(e, ['reseller', 'create', '--name', 'L', '--email', 'l@example.com', '--balance', '1000', '--json']));
    ok(await kios(e, ['reseller', 'deposit', r.id, '500']));
    expect(ok(await kios(e, ['ledger', 'verify'])).trim()).toBe('ledger OK');
    expect(okJson(await kios(e, ['ledger', 'verify', '--json']))).toEqual({ ok: true, violations: [] });

    // Break the invariant behind kios's back: the balance no longer equals its entries.
    const k = createDb(d.url, { poolSize: 1 });
    try {
      await sql`update resellers set balance = balance + 1 where id = ${r.id}`.execute(k.kysely);
    } finally {
      await k.close();
    }
    const broken = await kios(e, ['ledger', 'verify']);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`balance_mismatch ${r.id}: balance 1501 but entries sum to 1500`);
    const json = JSON.parse((await kios(e, ['ledger', 'verify', '--json'])).stdout) as { ok: boolean; violations: { kind: string; subject: string }[] };
    expect(json.ok).toBe(false);
    expect(json.violations).toEqual([{ kind: 'balance_mismatch', subject: r.id, detail: 'balance 1501 but entries sum to 1500' }]);
  });
});
