import { Migrator, sql, type Migration } from 'kysely';
import type { Db } from '../index.js';
import { initial } from './0001-initial.js';
import { suppliers } from './0002-suppliers.js';
import { catalogSync } from './0003-catalog-sync.js';
import { queryIndexes } from './0004-query-indexes.js';
import { redeem } from './0005-redeem.js';
import { deposits } from './0006-deposits.js';
import { dashboardAuth } from './0007-dashboard-auth.js';
import { memberIndexes } from './0008-member-indexes.js';
import { operationsIndexes } from './0009-operations-indexes.js';
import { resellerDisabled } from './0010-reseller-disabled.js';
import { authPrune } from './0011-auth-prune.js';
import { catalogVersion } from './0012-catalog-version.js';

/** One portable, ordered set of migrations; names sort in the order they must run. */
function migrations(db: Db): Record<string, Migration> {
  return {
    '0001-initial': initial(db.dialect),
    '0002-suppliers': suppliers(db.dialect),
    '0003-catalog-sync': catalogSync(db.dialect),
    '0004-query-indexes': queryIndexes(db.dialect),
    '0005-redeem': redeem(db.dialect),
    '0006-deposits': deposits(db.dialect),
    '0007-dashboard-auth': dashboardAuth(),
    '0008-member-indexes': memberIndexes(db.dialect),
    '0009-operations-indexes': operationsIndexes(),
    '0010-reseller-disabled': resellerDisabled(),
    '0011-auth-prune': authPrune(),
    '0012-catalog-version': catalogVersion(db.dialect),
  };
}

export interface MigrationReport {
  applied: string[];
}

/**
 * Brings the schema up to date. Safe to call from several processes at once: Kysely's migrator
 * serialises them with a lock row, and each migration runs in a transaction.
 */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations(db) },
    migrationTableName: 'kios_migrations',
    migrationLockTableName: 'kios_migrations_lock',
    // Without a schema, Kysely looks for its tables in every schema of the database, so a second
    // deployment in another schema of the same PostgreSQL would believe they already exist.
    ...(db.dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`${failed ? `migration ${failed.migrationName}` : 'migrating'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the PostgreSQL search_path names no existing schema');
  return schema;
}
