import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Indexes for the operator's order lists at scale (`kios order list`, dashboards, polling). Each
 * list pages by keyset on (created_at, id), newest first, so each needs an index ending in
 * exactly those columns: then the database reads one page straight off the index, without
 * scanning the table or sorting it, whatever the number of orders.
 *
 * - All orders: no index had `created_at` first, so the list scanned and sorted every order.
 * - One reseller, one status: the 0001 indexes stopped at `created_at`, so orders created in the
 *   same millisecond came out in no defined order (a page boundary could skip or repeat one) and
 *   ordering by id as well needed a sort. The three-column indexes replace them; they serve
 *   every lookup the two-column ones did.
 *
 * Nothing is needed for the queue: the claim and `nextRunAt` read the partial index of queued
 * jobs (0001), which done jobs never enter. Order events are read per order through
 * `order_events_order_idx`, however many other orders' events accumulate.
 *
 * On PostgreSQL the indexes are built inside the migration's transaction, blocking writes to
 * `orders` while they build (seconds for a million orders).
 */
export function queryIndexes(dialect: Dialect) {
  void dialect;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('orders_created_idx').on('orders').columns(['created_at desc', 'id desc']).execute();
      await db.schema.createIndex('orders_reseller_created_id_idx').on('orders').columns(['reseller_id', 'created_at desc', 'id desc']).execute();
      await db.schema.createIndex('orders_status_created_id_idx').on('orders').columns(['status', 'created_at desc', 'id desc']).execute();
      await db.schema.dropIndex('orders_reseller_created_idx').execute();
      await db.schema.dropIndex('orders_status_idx').execute();
    },
  };
}
