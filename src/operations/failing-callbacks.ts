import { sql, type Transaction } from 'kysely';
import type { Db, Queryable } from '../db/index.js';
import type { Database, Job } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { JobSignal } from '../jobs/queue.js';
import { OperatorError } from '../resellers/service.js';

/**
 * Callbacks that keep failing, and sending one again.
 *
 * A callback job is failing while its last attempt failed: the worker keeps `last_error` on a
 * job it will retry or has given up on (`dead`), and clears it when the receiver takes it. Only
 * an order's latest callback counts (it carries the order's current status; an older one is
 * superseded). The predicate is written with literals, identical to the partial index of
 * migration 0009, so both databases read the failing set off that index, never the whole queue.
 */
export const FAILING = sql<boolean>`j.kind = 'callback' and j.status <> 'done' and j.last_error is not null`;
const LATEST = sql<boolean>`not exists (select 1 from jobs n where n.order_id = j.order_id and n.kind = 'callback' and (n.created_at > j.created_at or (n.created_at = j.created_at and n.id > j.id)))`;

export interface FailingCallback {
  jobId: string;
  invoiceNumber: string;
  orderStatus: string;
  resellerId: string;
  resellerName: string;
  /** Scheme, host and path: the query (which may carry a receiver's secret) is never shown. */
  target: string;
  attempts: number;
  lastError: string | null;
  lastResponseCode: number | null;
  /** null once the worker gave up (`dead`): only a resend sends it again. */
  nextRetryAt: number | null;
  updatedAt: number;
}

export async function countFailingCallbacks(k: Queryable): Promise<number> {
  const r = await k.selectFrom('jobs as j').select(sql<number | string>`count(*)`.as('n')).where(FAILING).where(LATEST).executeTakeFirstOrThrow();
  return Number(r.n);
}

function encodeCursor(j: { updated_at: number; id: string }): string {
  return Buffer.from(`${j.updated_at}:${j.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const m = /^(\d{1,16}):(\S+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(at) || encodeCursor({ updated_at: at, id: m[2]! }) !== cursor) throw new OperatorError(`not a cursor from the failing callbacks: ${cursor}`);
  return { at, id: m[2]! };
}

/** The receiver as the operator may see it. */
export function maskTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(unreadable URL)';
  }
}

export class FailingCallbacks {
  constructor(private readonly d: { db: Db; clock: Clock; signal: JobSignal }) {}

  /** Most recently failed first, keyset pages on (updated_at, id). */
  async list(f: { limit?: number; cursor?: string } = {}): Promise<{ items: FailingCallback[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    const after = f.cursor === undefined ? null : decodeCursor(f.cursor);
    let q = this.d.db.kysely
      .selectFrom('jobs as j')
      .innerJoin('orders as o', 'o.id', 'j.order_id')
      .innerJoin('resellers as r', 'r.id', 'o.reseller_id')
      .select(['j.id', 'j.payload', 'j.status', 'j.attempts', 'j.last_error', 'j.run_at', 'j.updated_at', 'o.invoice_number', 'o.status as order_status', 'r.id as reseller_id', 'r.name as reseller_name'])
      .select(sql<number | null>`(select c.response_code from callback_attempts c where c.job_id = j.id order by c.seq desc limit 1)`.as('code'))
      .where(FAILING)
      .where(LATEST)
      .orderBy('j.updated_at', 'desc')
      .orderBy('j.id', 'desc')
      .limit(limit + 1);
    if (after) q = q.where((eb) => eb(eb.refTuple('j.updated_at', 'j.id'), '<', eb.tuple(after.at, after.id)));
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return {
      items: page.map((j) => ({
        jobId: j.id,
        invoiceNumber: j.invoice_number,
        orderStatus: j.order_status,
        resellerId: j.reseller_id,
        resellerName: j.reseller_name,
        target: maskTarget(targetOf(j.payload)),
        attempts: j.attempts,
        lastError: j.last_error,
        lastResponseCode: j.code === null ? null : Number(j.code),
        nextRetryAt: j.status === 'queued' ? Number(j.run_at) : null,
        updatedAt: Number(j.updated_at),
      })),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
    };
  }

  /**
   * Sends an order's latest callback again, now: a job given up on is queued again for one more
   * attempt (the schedule is spent, so a failure buries it again, with its new error); one still
   * retrying is made due now. Its payload is unchanged: the status and balance of the event.
   * Clicking twice is refused while the resend is due and not yet tried (409), so one click is
   * one delivery. `within` runs in the same transaction (the audit record).
   */
  async resend(invoiceNumber: string, within?: (trx: Transaction<Database>, before: CallbackState, after: CallbackState) => Promise<void>): Promise<CallbackState> {
    const r = await this.d.db.transaction(async (trx) => {
      const order = await trx.selectFrom('orders').select(['id']).where('invoice_number', '=', invoiceNumber).executeTakeFirst();
      if (!order) throw new OperatorError(`no order with invoice number ${invoiceNumber}`, 'not_found');
      const job = await trx.selectFrom('jobs').selectAll().where('order_id', '=', order.id).where('kind', '=', 'callback').orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
      if (!job) throw new OperatorError(`${invoiceNumber} has no callback: neither the order nor its reseller named a callback URL`, 'conflict');
      const now = this.d.clock();
      if (job.status === 'queued' && job.run_at <= now) throw new OperatorError(`the callback of ${invoiceNumber} is already due to be sent; wait for its attempt`, 'conflict');
      const updated = await trx
        .updateTable('jobs')
        .set({ status: 'queued', run_at: now, wakeups: sql<number>`wakeups + 1`, updated_at: now })
        .where('id', '=', job.id)
        .where('status', '=', job.status)
        .where('run_at', '=', job.run_at)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw new OperatorError(`the callback of ${invoiceNumber} changed meanwhile; look again`, 'conflict');
      const before = stateOf(job);
      const after = { ...before, status: 'queued' as const, runAt: now };
      await within?.(trx, before, after);
      return after;
    });
    this.d.signal.notify();
    return r;
  }
}

export interface CallbackState {
  jobId: string;
  status: Job['status'];
  attempts: number;
  runAt: number;
  lastError: string | null;
}

function stateOf(j: Job): CallbackState {
  return { jobId: j.id, status: j.status, attempts: j.attempts, runAt: Number(j.run_at), lastError: j.last_error };
}

export function targetOf(payload: string): string {
  try {
    return String((JSON.parse(payload) as { url?: unknown }).url ?? '');
  } catch {
    return '';
  }
}
