import type { Db, Queryable } from '../db/index.js';
import type { SessionRealm } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { newToken, tokenDigest } from './tokens.js';

/** A session ends after 12 hours without a request, and 7 days after log-in whatever happens. */
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 3600_000;
// last_seen_at is written at most this often: a dashboard polling every second costs no writes.
const TOUCH_EVERY_MS = 60_000;

export interface Session {
  /** The row's key: the digest of the cookie's token. */
  id: string;
  realm: SessionRealm;
  subjectId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Server-side dashboard sessions, in the database so every api process sees the same ones and a
 * log-out or a disabled account takes effect everywhere at once. The cookie carries a random
 * token; the row is keyed by its digest.
 */
export class SessionStore {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  /** Opens a session; returns the token for the cookie (never stored) and the session. */
  async create(realm: SessionRealm, subjectId: string, meta: { ip?: string; userAgent?: string } = {}, db: Queryable = this.d.db.kysely): Promise<{ token: string; session: Session }> {
    const token = newToken();
    const now = this.d.clock();
    const row = {
      digest: tokenDigest(token),
      realm,
      subject_id: subjectId,
      csrf_token: newToken(),
      created_at: now,
      last_seen_at: now,
      expires_at: now + SESSION_ABSOLUTE_MS,
      ip: meta.ip?.slice(0, 64) ?? null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
    };
    await db.insertInto('sessions').values(row).execute();
    return { token, session: toSession(row) };
  }

  /** The live session of a cookie's token in `realm`, touched; null when unknown, ended or idle. */
  async lookup(realm: SessionRealm, token: string): Promise<Session | null> {
    const digest = tokenDigest(token);
    const row = await this.d.db.kysely.selectFrom('sessions').selectAll().where('digest', '=', digest).where('realm', '=', realm).executeTakeFirst();
    if (!row) return null;
    const now = this.d.clock();
    if (now >= row.expires_at || now - row.last_seen_at >= SESSION_IDLE_MS) {
      await this.d.db.kysely.deleteFrom('sessions').where('digest', '=', digest).execute();
      return null;
    }
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) await this.d.db.kysely.updateTable('sessions').set({ last_seen_at: now }).where('digest', '=', digest).execute();
    return toSession(row);
  }

  async delete(id: string): Promise<void> {
    await this.d.db.kysely.deleteFrom('sessions').where('digest', '=', id).execute();
  }

  /** Ends every session of an account (but `keep`): a new password or a lost second factor. */
  async endAll(realm: SessionRealm, subjectId: string, keep: string | null = null, db: Queryable = this.d.db.kysely): Promise<void> {
    let q = db.deleteFrom('sessions').where('realm', '=', realm).where('subject_id', '=', subjectId);
    if (keep) q = q.where('digest', '<>', keep);
    await q.execute();
  }
}

function toSession(r: { digest: string; realm: SessionRealm; subject_id: string; csrf_token: string; created_at: number; expires_at: number }): Session {
  return { id: r.digest, realm: r.realm, subjectId: r.subject_id, csrfToken: r.csrf_token, createdAt: r.created_at, expiresAt: r.expires_at };
}
