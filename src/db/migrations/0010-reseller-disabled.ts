import type { Kysely } from 'kysely';

/**
 * Operators can disable a reseller (issue 10) and find one in a long list.
 *
 * - `resellers.disabled_at`: when an operator disabled it, null while it may trade. Not indexed:
 *   every read that checks it already found the row by its key digest, merchant id or id.
 * - `resellers_created_id_idx`: the operator's reseller list pages newest first by keyset on
 *   (created_at, id), read straight off this index.
 */
export function resellerDisabled() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('resellers').addColumn('disabled_at', 'bigint').execute();
      await db.schema.createIndex('resellers_created_id_idx').on('resellers').columns(['created_at desc', 'id desc']).execute();
    },
  };
}
