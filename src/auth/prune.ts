import type { Db } from '../db/index.js';
import { SESSION_IDLE_MS } from './sessions.js';

/** Rows deleted per statement: short transactions, so SQLite's writer is never held for long. */
export const PRUNE_BATCH = 500;
/** Batches per table per run; what is left waits for the next run. */
const MAX_BATCHES = 100;

/**
 * Deletes dashboard sessions that have ended (7 days after log-in, or 12 hours idle) and set-up
 * links that are used or expired. A lookup already refuses them; this only keeps the tables from
 * growing. Each batch picks its keys through an index (migration 0011) and deletes by key, a
 * statement both SQLite and PostgreSQL run in one short transaction.
 */
export async function pruneAuth(db: Db, now: number, batch = PRUNE_BATCH): Promise<{ sessions: number; tokens: number }> {
  const k = db.kysely;
  const sessions = await inBatches(batch, async () => {
    const keys = k
      .selectFrom('sessions')
      .select('digest')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - SESSION_IDLE_MS)]))
      .limit(batch);
    return Number((await k.deleteFrom('sessions').where('digest', 'in', keys).executeTakeFirst()).numDeletedRows);
  });
  const tokens = await inBatches(batch, async () => {
    const keys = k
      .selectFrom('auth_tokens')
      .select('digest')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('used_at', 'is not', null)]))
      .limit(batch);
    return Number((await k.deleteFrom('auth_tokens').where('digest', 'in', keys).executeTakeFirst()).numDeletedRows);
  });
  return { sessions, tokens };
}

async function inBatches(batch: number, run: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await run();
    total += n;
    if (n < batch) break;
  }
  return total;
}
