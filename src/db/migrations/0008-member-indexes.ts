import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * The index of the reseller dashboard's Mutasi (src/member/): one reseller's ledger by time,
 * newest first, within a date range, ending in the list's keyset order so a page is read straight
 * off the index whatever the row count. The 0001 index (reseller_id, seq) has no time in it, so
 * a range a year back walked every newer entry.
 *
 * Orders need nothing here: invoice numbers and trx_ids have unique indexes, and a search by
 * destination reads 0009's (user_id, created_at, id), which the operator's search needs anyway
 * (a game id has few orders, whoever placed them). Every index on orders is one more entry each
 * order writes at intake, so there is one per search, not one per dashboard.
 */
export function memberIndexes(dialect: Dialect) {
  void dialect;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('ledger_reseller_created_seq_idx').on('ledger_entries').columns(['reseller_id', 'created_at desc', 'seq desc']).execute();
    },
  };
}
