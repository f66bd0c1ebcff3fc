import type { AuditActor, AuditLog } from '../audit/log.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import type { ResellerService } from '../resellers/service.js';
import { changePassword } from './change-password.js';
import { verifyPassword } from './passwords.js';
import type { SessionStore } from './sessions.js';
import type { SetupLinks } from './setup-links.js';

/**
 * Resellers' dashboard accounts: the reseller itself (its email) logs in with a password chosen
 * through a set-up link the operator hands over (`kios reseller invite`). The API key is never a
 * dashboard credential, nor the password an API one.
 */
export class MemberAccounts {
  constructor(private readonly d: { db: Db; clock: Clock; resellers: ResellerService; links: SetupLinks; sessions: SessionStore; audit: AuditLog }) {}

  /** A set-up link for a reseller (first log-in or forgotten password); earlier links stop working. */
  async invite(idOrEmail: string, actor: AuditActor): Promise<{ resellerId: string; email: string; url: string; expiresAt: number }> {
    const r = await this.d.resellers.get(idOrEmail);
    const link = await this.d.links.issue('member_setup', r.id);
    await this.d.audit.record(actor, 'reseller.invite', { type: 'reseller', id: r.id }, null, null);
    return { resellerId: r.id, email: r.email, ...link };
  }

  /** Sets the password through a link; the reseller's id, or null when the link is unusable. */
  async setup(token: unknown, password: string): Promise<string | null> {
    return this.d.links.setPassword('member_setup', token, password, async (trx, subject, hash) => {
      const r = await trx.updateTable('resellers').set({ password_hash: hash, updated_at: this.d.clock() }).where('id', '=', subject).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  /** The reseller's id when the password is right (the same time is spent when the email is unknown). */
  async login(email: string, password: string): Promise<string | null> {
    const row = await this.d.db.kysely.selectFrom('resellers').select(['id', 'password_hash', 'disabled_at']).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    // A disabled reseller is refused like a wrong password, after the same hashing work.
    return (await verifyPassword(row?.password_hash, password)) && row && row.disabled_at === null ? row.id : null;
  }

  /** A new password after the current one (false: wrong, nothing changed); other sessions end. */
  async changePassword(id: string, current: string, next: string, keepSession: string, actor: AuditActor): Promise<boolean> {
    return changePassword(this.d, 'member', id, current, next, keepSession, actor);
  }
}
