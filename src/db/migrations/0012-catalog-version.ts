import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * `catalog_version`: one row whose `version` grows with every committed change to what the
 * product list shows (`products`, `categories`, `product_prices`), made by triggers so that no
 * write path (import, sync, repricing, the dashboards, hand-written SQL) can forget it. Every API
 * process caches its product lists under the version it read, and reads the version with the
 * caller's API key on each request: a change committed by any process is seen on the next one.
 *
 * The bump commits with the change it counts, never before it, so a cached list is never older
 * than the version it is filed under. On PostgreSQL the row lock it takes is held to COMMIT: the
 * trigger is deferred to COMMIT so that lock is the last one a catalog writer takes (two writers
 * can then never deadlock over it), and it bumps once per transaction, however many rows changed
 * (`txid` remembers which transaction bumped last).
 */
const TABLES = ['products', 'categories', 'product_prices'] as const;

export function catalogVersion(dialect: Dialect) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('catalog_version')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('txid', 'bigint')
        .execute();
      await db.insertInto('catalog_version').values({ id: 1, version: 1, txid: null }).execute();
      if (dialect === 'postgres') {
        await sql`
          create function kios_catalog_changed() returns trigger language plpgsql as $$
          begin
            update catalog_version set version = version + 1, txid = txid_current()
              where id = 1 and txid is distinct from txid_current();
            return null;
          end $$`.execute(db);
        for (const t of TABLES) {
          await sql`
            create constraint trigger ${sql.raw(`${t}_catalog_version`)}
              after insert or update or delete on ${sql.table(t)}
              deferrable initially deferred
              for each row execute function kios_catalog_changed()`.execute(db);
        }
        return;
      }
      // SQLite has one writer at a time and no deferred triggers: bump with each change.
      for (const t of TABLES) {
        for (const op of ['insert', 'update', 'delete']) {
          await sql`
            create trigger ${sql.raw(`${t}_catalog_version_${op}`)} after ${sql.raw(op)} on ${sql.table(t)}
            begin update catalog_version set version = version + 1 where id = 1; end`.execute(db);
        }
      }
    },
  };
}
