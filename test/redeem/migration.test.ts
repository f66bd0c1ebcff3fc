import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.js';
import { initial } from '../../src/db/migrations/0001-initial.js';
import { suppliers } from '../../src/db/migrations/0002-suppliers.js';
import { catalogSync } from '../../src/db/migrations/0003-catalog-sync.js';
import { queryIndexes } from '../../src/db/migrations/0004-query-indexes.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';

/** 0005 on a database with resellers: each gets a merchant id, once, all different. */
describe.each(DIALECTS)('migration 0005-redeem (%s)', (dialect) => {
  let tdb: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    tdb = await freshDatabase(dialect);
    db = createDb(tdb.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('gives every existing reseller a merchant id', async () => {
    const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]!.s : undefined;
    const before = new Migrator({
      db: db.kysely,
      provider: { getMigrations: async () => ({ '0001-initial': initial(db.dialect), '0002-suppliers': suppliers(db.dialect), '0003-catalog-sync': catalogSync(db.dialect), '0004-query-indexes': queryIndexes(db.dialect) }) },
      migrationTableName: 'kios_migrations',
      migrationLockTableName: 'kios_migrations_lock',
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    expect((await before.migrateToLatest()).error).toBeUndefined();
    const k = db.kysely as any;
    await k.insertInto('roles').values({ code: 'member', name: 'Member', sort_order: 1, created_at: 0 }).onConflict((oc: any) => oc.column('code').doNothing()).execute();
    for (const i of [1, 2, 3]) {
      await k.insertInto('resellers').values({ id: `rs_${i}`, name: `R${i}`, email: `r${i}@example.com`, phone: null, role_code: 'member', api_key_digest: `d${i}`, api_key_enc: 'x', balance: 0, ip_whitelist: '[]', webhook_url: null, created_at: Date.UTC(2024, 2, 15), updated_at: 0 }).execute();
    }
    // Later migrations run after it in the same call.
    expect((await migrateToLatest(db)).applied[0]).toBe('0005-redeem');
    const rows = await db.kysely.selectFrom('resellers').select(['id', 'merchant_id']).orderBy('id').execute();
    expect(rows.every((r) => /^M240315[A-Z0-9]{9}$/.test(r.merchant_id ?? ''))).toBe(true);
    expect(new Set(rows.map((r) => r.merchant_id)).size).toBe(3);
    await expect(db.kysely.updateTable('resellers').set({ merchant_id: rows[0]!.merchant_id }).where('id', '=', 'rs_2').execute()).rejects.toThrow();
  });
});
