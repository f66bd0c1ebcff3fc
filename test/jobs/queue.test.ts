import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { enqueue, JobQueue } from '../../src/jobs/queue.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

/** The job table as a queue: claims with leases, and completions fenced by the lease, many to a statement. */
describe.each(DIALECTS)('job queue (%s)', (dialect) => {
  let database: Awaited<ReturnType<typeof migratedDatabase>>;
  let db: Db;
  let queue: JobQueue;
  beforeAll(async () => {
    database = await migratedDatabase(dialect);
    db = database.db;
    queue = new JobQueue(db);
  });
  afterAll(async () => database?.close());

  it('completions in the same moment are each written, and one whose lease another worker took is ignored', async () => {
    const now = 1_000;
    for (let i = 0; i < 60; i++) await enqueue(db.kysely, { kind: 'callback', payload: { i }, runAt: now, now });
    const claimed = await queue.claim('worker-a', 100, now, 60_000);
    expect(claimed).toHaveLength(60);
    // Worker B took job 7 over after A's lease ran out (A was slow): A's completion of it must not count.
    const taken = claimed[7]!;
    await db.kysely.updateTable('jobs').set({ locked_by: 'worker-b', locked_until: now + 120_000 }).where('id', '=', taken.id).execute();

    await Promise.all(claimed.map((job, i) => queue.complete(job, 'worker-a', now + i)));

    const rows = await db.kysely.selectFrom('jobs').select(['id', 'status', 'locked_by', 'locked_until', 'updated_at']).execute();
    const done = rows.filter((r) => r.status === 'done');
    expect(done).toHaveLength(59);
    for (const r of done) {
      expect(r.locked_by).toBeNull();
      expect(r.locked_until).toBeNull();
      expect(Number(r.updated_at)).toBeGreaterThanOrEqual(now);
    }
    expect(rows.find((r) => r.id === taken.id)).toMatchObject({ status: 'queued', locked_by: 'worker-b' });
    // Nothing done is claimed again; B's job is not due to anyone else while its lease holds.
    expect(await queue.claim('worker-c', 100, now + 70_000, 60_000)).toEqual([]);
  });

});
