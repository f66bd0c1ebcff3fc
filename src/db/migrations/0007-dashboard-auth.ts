import { sql, type Kysely } from 'kysely';

/**
 * Accounts and sessions of the web dashboards (issue 10).
 *
 * - `operators`: who runs the business (`owner` or `staff`). No password until the set-up link is
 *   used. The TOTP secret is kept encrypted (SecretBox); `totp_pending_enc` holds one being
 *   enrolled until a code confirms it; `totp_last_step` is the last accepted time step, so a code
 *   is never accepted twice.
 * - `resellers.password_hash`: the member dashboard's password (argon2id), null until set up.
 * - `auth_tokens`: one-time set-up links. Only the SHA-256 digest of a token is stored, so the
 *   table never holds a usable link.
 * - `sessions`: keyed by the digest of the cookie's token (a database read never yields a cookie).
 *   Indexed by subject so logging everyone out of one account is one indexed delete.
 * - `audit_log`: every operator action; read newest first by `(at, id)`.
 */
export function dashboardAuth() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'staff')`))
        .addColumn('password_hash', 'text')
        .addColumn('totp_secret_enc', 'text')
        .addColumn('totp_enabled_at', 'bigint')
        .addColumn('totp_pending_enc', 'text')
        .addColumn('totp_last_step', 'bigint')
        .addColumn('disabled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema.alterTable('resellers').addColumn('password_hash', 'text').execute();

      await db.schema
        .createTable('auth_tokens')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('auth_tokens_subject_idx').on('auth_tokens').columns(['kind', 'subject_id']).execute();

      await db.schema
        .createTable('sessions')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('realm', 'text', (c) => c.notNull().check(sql`realm in ('member', 'admin')`))
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_subject_idx').on('sessions').columns(['realm', 'subject_id']).execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_email', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('reason', 'text')
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['at desc', 'id desc']).execute();
    },
  };
}
