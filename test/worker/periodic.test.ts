import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeLease, releaseLease } from '../../src/jobs/lease.js';
import { Periodic } from '../../src/worker/periodic.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';
import { FakeCatalog } from '../fakes/catalog.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';

/**
 * Periodic work of the worker role happens once per interval across every process: a lease in
 * the database decides who runs it. Two worker processes are two `Periodic`s on one database.
 */
describe.each(DIALECTS)('periodic catalog sync and balances (%s)', (dialect) => {
  let t: TestKios;
  let df: DigiflazzFake;

  beforeAll(async () => {
    df = await DigiflazzFake.start({ catalog: new FakeCatalog(50), balance: 1_000 });
    t = await TestKios.start(dialect);
    await t.kios.suppliers.add('digiflazz', 'digi', df.config({ balance_alert: 5_000 }));
  });
  afterAll(async () => {
    await t?.close();
    await df?.close();
  });

  it('a lease has one holder until it expires or is given back', async () => {
    const k = t.kios.db.kysely;
    expect(await takeLease(k, 'test-lease', 'a', 1_000, 500)).toBe(true);
    expect(await takeLease(k, 'test-lease', 'b', 1_200, 500)).toBe(false);
    expect(await takeLease(k, 'test-lease', 'a', 1_400, 500)).toBe(false);
    expect(await takeLease(k, 'test-lease', 'b', 1_500, 500)).toBe(true);
    await releaseLease(k, 'test-lease', 'a'); // not a's any more: nothing happens
    expect(await takeLease(k, 'test-lease', 'c', 1_600, 500)).toBe(false);
    await releaseLease(k, 'test-lease', 'b');
    expect(await takeLease(k, 'test-lease', 'c', 1_600, 500)).toBe(true);
  });

  it('two workers due at once: one syncs the catalog and checks balances, the other skips', async () => {
    const k = t.kios;
    const make = () =>
      new Periodic(
        { db: k.db, clock: k.clock, log: k.log, alerts: k.alerts, connectors: k.connectors, catalogSync: k.catalogSync, balances: k.balances },
        { catalogSyncMs: 60_000, balancesMs: 60_000 },
      );
    const workers = [make(), make()];
    df.requests.length = 0;
    for (const w of workers) w.start();
    await eventually(async () => {
      const n = await k.db.kysely.selectFrom('supplier_products').select((eb) => eb.fn.countAll<number>().as('n')).where('supplier_id', '=', 'digi').executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(50);
      const b = await k.db.kysely.selectFrom('supplier_balances').selectAll().where('supplier_id', '=', 'digi').executeTakeFirst();
      expect(b).toMatchObject({ balance: 1_000 });
    });
    await Promise.all(workers.map((w) => w.stop()));
    expect(df.requests.filter((r) => r.path === '/price-list')).toHaveLength(1);
    expect(df.requests.filter((r) => r.path === '/cek-saldo')).toHaveLength(1);
    const b = await k.db.kysely.selectFrom('supplier_balances').selectAll().where('supplier_id', '=', 'digi').executeTakeFirstOrThrow();
    expect(b.alerted_at).not.toBeNull();
  });
});
