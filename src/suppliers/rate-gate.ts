import type { Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { RateLimit } from '../connectors/types.js';

/**
 * A supplier account's declared rate limit (e.g. VCGamers: 200 requests / 60 s), shared by every
 * process of the deployment because it lives in the database: each call takes a slot in a
 * sliding window (one row per call, kept for the window's length). A caller that finds no free
 * slot learns when one frees; the fulfilment job waits until then, queued, never dropped.
 * Suppliers without a limit cost nothing: no row, no transaction.
 */
export class RateGate {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  /** Takes a slot for one call to `supplierId`: null when taken, else the time a slot frees. */
  async take(supplierId: string, limit: RateLimit | null): Promise<number | null> {
    if (!limit) return null;
    return this.d.db.transaction((trx) => this.takeIn(trx, supplierId, limit));
  }

  /**
   * The same inside the caller's transaction, so the slot is taken at the moment the caller's
   * own write commits (a purchase: its attempt), not before a wait for the write lock.
   */
  async takeIn(trx: Transaction<Database>, supplierId: string, limit: RateLimit | null): Promise<number | null> {
    if (!limit) return null;
    // Serialise the count-then-insert per supplier account (SQLite: the transaction already is).
    if (this.d.db.rowLocks) await trx.selectFrom('suppliers').select('id').where('id', '=', supplierId).forUpdate().execute();
    const now = this.d.clock();
    // A supplier counts calls when they arrive, which trails the slot by the commit and the trip
    // there (tens of ms on a busy machine): a slot is held that much longer than the window.
    const window = limit.perMs + Math.min(250, Math.ceil(limit.perMs / 10));
    const since = now - window;
    await trx.deleteFrom('supplier_calls').where('supplier_id', '=', supplierId).where('at', '<=', since).execute();
    const used = await trx
      .selectFrom('supplier_calls')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('at').as('oldest')])
      .where('supplier_id', '=', supplierId)
      .executeTakeFirstOrThrow();
    if (Number(used.n) < limit.requests) {
      await trx.insertInto('supplier_calls').values({ supplier_id: supplierId, at: now }).execute();
      return null;
    }
    return Number(used.oldest) + window + 1;
  }
}
