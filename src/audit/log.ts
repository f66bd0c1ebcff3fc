import type { Db, Queryable } from '../db/index.js';
import type { AuditLogRow } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { OperatorError } from '../resellers/service.js';

/** Who did it: an operator on the dashboard, the command line, or a reseller on its dashboard. */
export interface AuditActor {
  type: 'operator' | 'cli' | 'member';
  id: string | null;
  email: string | null;
  ip?: string | null;
}

export interface AuditTarget {
  type: string;
  id: string | null;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: AuditActor;
  action: string;
  target: AuditTarget;
  before: unknown;
  after: unknown;
  reason: string | null;
}

export const CLI_ACTOR: AuditActor = { type: 'cli', id: null, email: null };

/**
 * The audit log: every operator action, with the state before and after (owners read it). An
 * entry is written in the same transaction as the change it describes when the caller passes
 * one, so there is never a change without its entry. Values are stored as JSON: never put a
 * secret (password, key, TOTP secret) in `before`/`after`.
 */
export class AuditLog {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  async record(actor: AuditActor, action: string, target: AuditTarget, before: unknown, after: unknown, reason: string | null = null, db: Queryable = this.d.db.kysely): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        id: newId('aud'),
        at: this.d.clock(),
        actor_type: actor.type,
        actor_id: actor.id,
        actor_email: actor.email,
        action,
        target_type: target.type,
        target_id: target.id,
        before_json: before === undefined || before === null ? null : JSON.stringify(before),
        after_json: after === undefined || after === null ? null : JSON.stringify(after),
        reason,
        ip: actor.ip ?? null,
      })
      .execute();
  }

  /**
   * The record of a change as a service's `within` callback: written in the change's own
   * transaction with the service's before and after (see `Within` in src/resellers/service.ts).
   */
  within<T>(actor: AuditActor, action: string, target: AuditTarget, reason: string | null = null): (trx: Queryable, before: T, after: T) => Promise<void> {
    return (trx, before, after) => this.record(actor, action, target, before, after, reason, trx);
  }

  /**
   * A page of entries, newest first, keyset by (at, id) on audit_log_at_idx. Filters (the
   * actor's id or email, the action, the target's id) pass over the index's misses: operator
   * actions are few next to orders, so no index of their own is needed.
   */
  async list(f: { cursor?: string; limit?: number; actor?: string; action?: string; target?: string } = {}): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : null;
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    let q = this.d.db.kysely.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (after) q = q.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(after.at, after.id)));
    if (f.actor) q = q.where((eb) => eb.or([eb('actor_id', '=', f.actor!), eb('actor_email', '=', f.actor!.toLowerCase())]));
    if (f.action) q = q.where('action', '=', f.action);
    if (f.target) q = q.where('target_id', '=', f.target);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return { items: page.map(toEntry), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
  }
}

function encodeCursor(r: { at: number; id: string }): string {
  return Buffer.from(`${r.at}:${r.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const m = /^(\d{1,16}):(\S+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = Number(m?.[1]);
  // Only a cursor that encodes back to itself is one kios gave out (see src/orders/admin.ts).
  if (!m || !Number.isSafeInteger(at) || encodeCursor({ at, id: m[2]! }) !== cursor) throw new OperatorError('not a cursor from the audit log');
  return { at, id: m[2]! };
}

function toEntry(r: AuditLogRow): AuditEntry {
  const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
  return {
    id: r.id,
    at: r.at,
    actor: { type: r.actor_type as AuditActor['type'], id: r.actor_id, email: r.actor_email, ip: r.ip },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    before: parse(r.before_json),
    after: parse(r.after_json),
    reason: r.reason,
  };
}
