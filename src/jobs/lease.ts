import type { Queryable } from '../db/index.js';

/**
 * A named lease across processes: whoever holds `name` until a time does the periodic work it
 * stands for (one catalog sync, one balance round), others skip it. Taking it is one
 * conditional upsert, so two processes racing for it cannot both win.
 */
export async function takeLease(k: Queryable, name: string, holder: string, now: number, forMs: number): Promise<boolean> {
  const until = now + forMs;
  const r = await k
    .insertInto('leases')
    .values({ name, holder, until })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, until }).where('leases.until', '<=', now))
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Gives a lease back early (the work is done), so the next holder need not wait it out. */
export async function releaseLease(k: Queryable, name: string, holder: string): Promise<void> {
  await k.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
