import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Indexes for the reseller dashboard's lists (src/member/), each ending in the list's keyset
 * order so a page is read straight off the index whatever the row count:
 *
 * - Mutasi: one reseller's ledger by time, newest first, within a date range. The 0001 index
 *   (reseller_id, seq) has no time in it, so a range a year back walked every newer entry.
 * - Orders by destination: a reseller's customer complains about a number; without
 *   (reseller_id, user_id, ...) that search walked all of the reseller's orders. Invoice numbers
 *   and trx_ids already have unique indexes.
 *
 * Each costs every order one more index entry to write; on PostgreSQL they are built inside the
 * migration's transaction, blocking writes to those tables while they build.
 */
export function memberIndexes(dialect: Dialect) {
  void dialect;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('ledger_reseller_created_seq_idx').on('ledger_entries').columns(['reseller_id', 'created_at desc', 'seq desc']).execute();
      await db.schema.createIndex('orders_reseller_user_created_idx').on('orders').columns(['reseller_id', 'user_id', 'created_at desc', 'id desc']).execute();
    },
  };
}
