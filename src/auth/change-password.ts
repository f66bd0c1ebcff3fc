import type { AuditActor, AuditLog } from '../audit/log.js';
import type { Db } from '../db/index.js';
import type { SessionRealm } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { SessionStore } from './sessions.js';

const ACCOUNTS = { admin: { table: 'operators', target: 'operator' }, member: { table: 'resellers', target: 'reseller' } } as const;

/**
 * A logged-in account replaces its password, typing the current one again (the caller counts a
 * wrong one against the log-in throttle). The update is conditional on the hash that was
 * verified, so two changes at once cannot both win; every other session of the account ends in
 * the same transaction (a thief's included), the one making the change stays. False: the
 * current password is wrong, nothing changed.
 */
export async function changePassword(
  d: { db: Db; clock: Clock; sessions: SessionStore; audit: AuditLog },
  realm: SessionRealm,
  subjectId: string,
  current: string,
  next: string,
  keepSession: string,
  actor: AuditActor,
): Promise<boolean> {
  const { table, target } = ACCOUNTS[realm];
  const row = await d.db.kysely.selectFrom(table).select('password_hash').where('id', '=', subjectId).executeTakeFirst();
  if (!row?.password_hash || !(await verifyPassword(row.password_hash, current))) return false;
  const hash = await hashPassword(next);
  return d.db.transaction(async (trx) => {
    const r = await trx.updateTable(table).set({ password_hash: hash, updated_at: d.clock() }).where('id', '=', subjectId).where('password_hash', '=', row.password_hash).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await d.sessions.endAll(realm, subjectId, keepSession, trx);
    await d.audit.record(actor, `${target}.password_change`, { type: target, id: subjectId }, null, null, null, trx);
    return true;
  });
}
