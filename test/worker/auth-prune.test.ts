import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneAuth } from '../../src/auth/prune.js';
import { SESSION_IDLE_MS } from '../../src/auth/sessions.js';
import { Periodic } from '../../src/worker/periodic.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';

/** Ended sessions and spent set-up links are deleted by the worker, live ones never. */
describe.each(DIALECTS)('pruning sessions and set-up links (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => t?.close());

  const now = 1_900_000_000_000;
  async function seed(prefix: string): Promise<void> {
    const k = t.kios.db.kysely;
    const session = (digest: string, createdAt: number, lastSeen: number, expiresAt: number) =>
      ({ digest: `${prefix}${digest}`, realm: 'admin' as const, subject_id: 'op_x', csrf_token: 'c', created_at: createdAt, last_seen_at: lastSeen, expires_at: expiresAt, ip: null, user_agent: null });
    await k.deleteFrom('sessions').execute();
    await k.deleteFrom('auth_tokens').execute();
    await k
      .insertInto('sessions')
      .values([
        session('live', now - 1000, now - 1000, now + 1000),
        session('absolute1', now - 9e8, now - 10, now - 1),
        session('absolute2', now - 9e8, now - 10, now),
        session('idle1', now - 2 * SESSION_IDLE_MS, now - SESSION_IDLE_MS, now + 1000),
        session('idle2', now - 2 * SESSION_IDLE_MS, now - SESSION_IDLE_MS - 1, now + 1000),
      ])
      .execute();
    const token = (digest: string, expiresAt: number, usedAt: number | null) => ({ digest: `${prefix}${digest}`, kind: 'admin_setup' as const, subject_id: `op_${digest}`, created_at: now - 5000, expires_at: expiresAt, used_at: usedAt });
    await k.insertInto('auth_tokens').values([token('fresh', now + 1000, null), token('used', now + 1000, now - 10), token('expired', now - 1, null), token('both', now - 1, now - 100)]).execute();
  }
  const left = async () => ({
    sessions: (await t.kios.db.kysely.selectFrom('sessions').select('digest').orderBy('digest').execute()).map((r) => r.digest),
    tokens: (await t.kios.db.kysely.selectFrom('auth_tokens').select('digest').orderBy('digest').execute()).map((r) => r.digest),
  });

  it('deletes ended sessions and used or expired links in batches, and keeps the live ones', async () => {
    await seed('a-');
    // Batches of 1: four sessions and three links need four and three full batches, then an empty one.
    expect(await pruneAuth(t.kios.db, now, 1)).toEqual({ sessions: 4, tokens: 3 });
    expect(await left()).toEqual({ sessions: ['a-live'], tokens: ['a-fresh'] });
    expect(await pruneAuth(t.kios.db, now, 1)).toEqual({ sessions: 0, tokens: 0 });
  });

  it('runs as a periodic task of the worker, a task of its own', async () => {
    await seed('b-');
    const k = t.kios;
    const make = () =>
      new Periodic(
        { db: k.db, clock: () => now, log: k.log, alerts: k.alerts, connectors: k.connectors, catalogSync: k.catalogSync, balances: k.balances },
        { catalogSyncMs: 0, balancesMs: 0, authPruneMs: 60_000 },
      );
    const workers = [make(), make()];
    for (const w of workers) w.start();
    await eventually(async () => expect(await left()).toEqual({ sessions: ['b-live'], tokens: ['b-fresh'] }));
    await Promise.all(workers.map((w) => w.stop()));
  });
});
