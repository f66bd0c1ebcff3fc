import type { Config } from '../config.js';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { hashPassword } from './passwords.js';
import type { SessionStore } from './sessions.js';
import type { Db, Queryable } from '../db/index.js';
import type { AuthTokenKind } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { newToken, plausibleToken, tokenDigest } from './tokens.js';

export const SETUP_LINK_MS = 72 * 3600_000;

/**
 * One-time set-up links (a new account's first password, or a forgotten one). The token travels
 * in the URL's fragment (`#token=`), so it never reaches a server log or a Referer header; only
 * its digest is stored. A new link for an account voids its earlier ones.
 */
export class SetupLinks {
  constructor(private readonly d: { db: Db; clock: Clock; config: Config; sessions: SessionStore }) {}

  async issue(kind: AuthTokenKind, subjectId: string): Promise<{ url: string; expiresAt: number }> {
    const token = newToken();
    const now = this.d.clock();
    const expiresAt = now + SETUP_LINK_MS;
    await this.d.db.transaction(async (trx) => {
      await trx.deleteFrom('auth_tokens').where('kind', '=', kind).where('subject_id', '=', subjectId).execute();
      await trx.insertInto('auth_tokens').values({ digest: tokenDigest(token), kind, subject_id: subjectId, created_at: now, expires_at: expiresAt, used_at: null }).execute();
    });
    return { url: `${this.base()}/${kind === 'member_setup' ? 'member' : 'admin'}/setup#token=${token}`, expiresAt };
  }

  /**
   * Uses a link up, inside the caller's transaction: returns its subject, or null when the token
   * is unknown, used or expired. The conditional update is what makes it one-time under races.
   */
  async consume(trx: Queryable, kind: AuthTokenKind, token: unknown): Promise<string | null> {
    if (!plausibleToken(token)) return null;
    const digest = tokenDigest(token);
    const now = this.d.clock();
    const r = await trx.updateTable('auth_tokens').set({ used_at: now }).where('digest', '=', digest).where('kind', '=', kind).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    const row = await trx.selectFrom('auth_tokens').select('subject_id').where('digest', '=', digest).executeTakeFirstOrThrow();
    return row.subject_id;
  }

  /**
   * Sets an account's password through its link: the link is used up, the password stored by
   * `store` (false: the account cannot take it, e.g. disabled) and every session of the account
   * ended, all in one transaction. Returns the account's id, or null (nothing changed).
   */
  async setPassword(kind: AuthTokenKind, token: unknown, password: string, store: (trx: Transaction<Database>, subjectId: string, hash: string) => Promise<boolean>): Promise<string | null> {
    if (!plausibleToken(token)) return null;
    // Hashed before the transaction: SQLite's writer is not held for the ~50 ms argon2 takes.
    const hash = await hashPassword(password);
    return this.d.db
      .transaction(async (trx) => {
        const subject = await this.consume(trx, kind, token);
        if (!subject || !(await store(trx, subject, hash))) throw new Unusable();
        await this.d.sessions.endAll(kind === 'member_setup' ? 'member' : 'admin', subject, null, trx);
        return subject;
      })
      .catch((err: unknown) => {
        if (err instanceof Unusable) return null;
        throw err;
      });
  }

  private base(): string {
    const c = this.d.config;
    return c.publicUrl ?? `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
  }
}

/** Rolls the transaction back: the link stays unused when the account could not take the password. */
class Unusable extends Error {}
