import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { FakeCatalog } from '../fakes/catalog.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { cliEnv, expectNoStack, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios catalog sync` as an operator runs it, on a supplier with 5,000 products: progress on
 * stderr (plain lines, since a test's stderr is not a terminal), the summary on stdout, and a
 * second run that finds nothing to change. The suite's time limit is the "under a minute".
 */
describe.each(DIALECTS)('kios catalog sync, 5,000 products (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let df: DigiflazzFake;
  const catalog = new FakeCatalog(5_000);

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    df = await DigiflazzFake.start({ catalog });
    ok(await kios(env, ['supplier', 'add', 'digiflazz', '--name', 'digi', '--config', JSON.stringify(df.config())]));
    ok(await kios(env, ['price', 'rule', 'add', '--tier', 'member', '--percent', '5', '--round', '100']));
  });
  afterAll(async () => {
    await killAll();
    await df?.close();
    await db?.drop();
  });

  it('a dry run shows the plan and writes nothing; the sync creates everything with progress; a second run changes nothing', { timeout: 60_000 }, async () => {
    const dry = okJson(await kios(env, ['catalog', 'sync', 'digi', '--dry-run', '--json']));
    expect(dry).toMatchObject({ dry_run: true, fetched: 5_000 });
    expect(dry.created).toHaveLength(5_000);
    expect(okJson(await kios(env, ['route', 'list', '--json'])).filter((r: { supplier: string }) => r.supplier === 'digi')).toEqual([]);

    const run = await kios(env, ['catalog', 'sync', 'digi']);
    const stdout = ok(run);
    expect(stdout).toMatch(/^synced digi: 5000 supplier products, 5000 new, 0 cost changes/);
    expect(stdout).toContain('... and 4970 more');
    expect(run.stderr).toContain('fetch: 5000/5000');
    expect(run.stderr).toContain('apply: 5000/5000');
    const routes = okJson(await kios(env, ['route', 'list', '--json'])).filter((r: { supplier: string }) => r.supplier === 'digi');
    expect(routes).toHaveLength(5_000);

    const again = okJson(await kios(env, ['catalog', 'sync', 'digi', '--json']));
    expect(again).toMatchObject({ writes: 0, created: [], cost_changed: [], repriced: [] });
  });

  it('a supplier without a catalog, or an unknown one, is a clear error', async () => {
    ok(await kios(env, ['supplier', 'add', 'simulator', '--name', 'sim', '--config', '{}']));
    for (const [args, message] of [
      [['catalog', 'sync', 'nope'], /no supplier named "nope"/],
      [['catalog', 'sync', 'sim'], /simulator suppliers publish no catalog/],
    ] as const) {
      const r = await kios(env, [...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expectNoStack(r);
    }
  });
});
