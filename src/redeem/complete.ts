import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { enqueue } from '../jobs/queue.js';
import { emptyStats, STATUS_NAMES, VOUCHER_STATUS } from './statuses.js';

/**
 * Closes a project whose vouchers are all final, inside the caller's transaction: a
 * compare-and-set from `open`, the session key forgotten, and the completion callback queued
 * (to the reseller's webhook, when it has one) in the same commit. Returns whether it closed it.
 */
export async function completeIn(
  trx: Transaction<Database>,
  p: { seq: number; projectId: string; resellerId: string; rounds: number },
  now: number,
  callbackFirstDelayMs: number,
): Promise<boolean> {
  const open = await trx
    .selectFrom('redeem_vouchers')
    .select('id')
    .where('project_seq', '=', p.seq)
    .where('status', 'in', [VOUCHER_STATUS.pending, VOUCHER_STATUS.process])
    .limit(1)
    .executeTakeFirst();
  if (open) return false;
  const closed = await trx
    .updateTable('redeem_projects')
    .set({ status: 'done', completed_at: now, updated_at: now, session_key_enc: null, rounds: sql<number>`rounds + 1` })
    .where('seq', '=', p.seq)
    .where('status', '=', 'open')
    .returning(['rounds', 'total'])
    .executeTakeFirst();
  if (!closed) return false;
  const r = await trx.selectFrom('resellers').select(['webhook_url', 'merchant_id']).where('id', '=', p.resellerId).executeTakeFirstOrThrow();
  if (r.webhook_url) {
    const rows = await trx.selectFrom('redeem_vouchers').select(['status', sql<number | string>`count(*)`.as('n')]).where('project_seq', '=', p.seq).groupBy('status').execute();
    const stats = emptyStats();
    for (const row of rows) stats[STATUS_NAMES[row.status]!] = Number(row.n);
    const body = JSON.stringify({ event: 'redeem.project.completed', id: p.seq, merchant_id: r.merchant_id, project_id: p.projectId, total_voucher: closed.total, stats, completed_at: new Date(now).toISOString() });
    await enqueue(trx, {
      kind: 'callback',
      dedupeKey: `redeem-callback:${p.projectId}:${closed.rounds}`,
      payload: { format: 'json', url: r.webhook_url, resellerId: p.resellerId, body },
      runAt: now + callbackFirstDelayMs,
      now,
    });
  }
  return true;
}
