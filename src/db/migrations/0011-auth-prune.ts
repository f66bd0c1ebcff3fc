import type { Kysely } from 'kysely';

/**
 * The worker prunes ended dashboard sessions and spent set-up links (src/auth/prune.ts); these
 * indexes let each batch find its rows without reading the whole table.
 *
 * - `sessions_expires_idx`, `sessions_seen_idx`: past the absolute end, or idle too long.
 * - `auth_tokens_expires_idx`, `auth_tokens_used_idx`: expired, or used.
 */
export function authPrune() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('sessions_seen_idx').on('sessions').column('last_seen_at').execute();
      await db.schema.createIndex('auth_tokens_expires_idx').on('auth_tokens').column('expires_at').execute();
      await db.schema.createIndex('auth_tokens_used_idx').on('auth_tokens').column('used_at').execute();
    },
  };
}
