import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommitSqliteDialect } from '../../src/db/sqlite-group-commit.js';

/**
 * The SQLite group-commit driver (src/db/sqlite-group-commit.ts). An independent better-sqlite3
 * connection on the same file plays "the disk after a crash": what it sees is committed.
 */

interface T {
  items: { id: number; note: string };
  parents: { id: number };
  children: { id: number; parent_id: number };
}

let dir: string;
let file: string;
let db: Kysely<T>;
let outside: SQLite.Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kios-gc-'));
  file = join(dir, 'gc.db');
  db = new Kysely<T>({ dialect: new GroupCommitSqliteDialect({ file }) });
  await sql`create table items (id integer primary key, note text not null)`.execute(db);
  await sql`create table parents (id integer primary key)`.execute(db);
  // Checked at COMMIT: the one way to make a COMMIT itself fail on demand.
  await sql`create table children (id integer primary key, parent_id integer not null references parents (id) deferrable initially deferred)`.execute(db);
  outside = new SQLite(file, { readonly: true });
});

afterEach(async () => {
  outside.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const committed = (id: number) => outside.prepare('select count(*) as n from items where id = ?').get(id) as { n: number };
const countAll = () => (outside.prepare('select count(*) as n from items').get() as { n: number }).n;

describe('SQLite group commit', () => {
  it('answers a transaction only once its writes are committed, and shares commits between concurrent ones', async () => {
    const seenAtAnswer: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        db
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('items').values({ id: i, note: 'a' }).execute();
            await trx.updateTable('items').set({ note: 'b' }).where('id', '=', i).execute();
          })
          // Synchronously at the answer: another connection must already see the row.
          .then(() => seenAtAnswer.push(committed(i).n)),
      ),
    );
    expect(seenAtAnswer).toHaveLength(200);
    expect(seenAtAnswer.every((n) => n === 1)).toBe(true);
    expect(countAll()).toBe(200);
    expect(outside.prepare("select count(*) as n from items where note = 'b'").get()).toEqual({ n: 200 });
  });

  it('answers a lone write statement only once it is committed', async () => {
    const seen = await Promise.all(Array.from({ length: 50 }, (_, i) => db.insertInto('items').values({ id: i, note: 'x' }).execute().then(() => committed(i).n)));
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('rolls back only the transaction that failed, not the others sharing its commit', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ id: i, note: 'kept' }).execute();
          if (i % 5 === 0) throw new Error(`unit ${i} refuses`);
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i % 5 === 0) expect(r).toMatchObject({ status: 'rejected', reason: { message: `unit ${i} refuses` } });
      else expect(r.status).toBe('fulfilled');
    });
    expect(countAll()).toBe(40);
    for (let i = 0; i < 50; i += 5) expect(committed(i).n).toBe(0);
  });

  it('a failed statement outside a transaction changes nothing and does not disturb the batch', async () => {
    await db.insertInto('items').values({ id: 1, note: 'first' }).execute();
    const [dup, other] = await Promise.allSettled([
      db.insertInto('items').values({ id: 1, note: 'again' }).execute(),
      db.insertInto('items').values({ id: 2, note: 'second' }).execute(),
    ]);
    expect(dup).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    expect(other.status).toBe('fulfilled');
    expect(outside.prepare('select id, note from items order by id').all()).toEqual([
      { id: 1, note: 'first' },
      { id: 2, note: 'second' },
    ]);
  });

  it('when the COMMIT fails, every unit of that batch gets the error and nothing of the batch remains', async () => {
    await db.insertInto('parents').values({ id: 1 }).execute();
    const results = await Promise.allSettled([
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 10, note: 'innocent' }).execute();
      }),
      // Passes its own savepoint; the COMMIT finds the dangling reference.
      db.transaction().execute(async (trx) => {
        await trx.insertInto('children').values({ id: 1, parent_id: 999 }).execute();
      }),
      db.insertInto('items').values({ id: 11, note: 'innocent too' }).execute(),
    ]);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } });
    expect(countAll()).toBe(0);
    expect(outside.prepare('select count(*) as n from children').get()).toEqual({ n: 0 });
    // The next batch is unaffected.
    await db.insertInto('items').values({ id: 12, note: 'later' }).execute();
    expect(committed(12).n).toBe(1);
  });

  it('a read outside a transaction never sees writes that are not committed yet', async () => {
    const seenOutside = await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 7, note: 'in flight' }).execute();
      const inside = await trx.selectFrom('items').select('id').where('id', '=', 7).execute();
      expect(inside).toHaveLength(1);
      return db.selectFrom('items').select('id').where('id', '=', 7).execute();
    });
    expect(seenOutside).toEqual([]);
    expect(await db.selectFrom('items').select('id').where('id', '=', 7).execute()).toEqual([{ id: 7 }]);
  });

  it('two instances in one process on one file take turns without blocking each other', async () => {
    // SQLite's own busy handler would sleep the thread, and with it the COMMIT the other instance is waiting for.
    const other = new Kysely<T>({ dialect: new GroupCommitSqliteDialect({ file }) });
    try {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? other : db).transaction().execute((trx) => trx.insertInto('items').values({ id: i, note: i % 2 ? 'other' : 'db' }).execute()),
        ),
      );
      expect(countAll()).toBe(100);
    } finally {
      await other.destroy();
    }
  });

  // Linux shows a process's open files, deleted temp files among them, under /proc/self/fd.
  it.runIf(existsSync('/proc/self/fd'))('keeps what undoes a unit in memory, not in a temp file, and still undoes it', async () => {
    const tempFiles = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return /etilqs_/.test(readlinkSync(`/proc/self/fd/${fd}`)); // SQLite's temp file names
      } catch {
        return false; // closed while listed
      }
    });
    // Committed rows on about 60 pages: a unit that changes them all journals their 240 KiB.
    await db.insertInto('items').values(Array.from({ length: 200 }, (_, i) => ({ id: i, note: 'o'.repeat(1_000) }))).execute();
    let duringUnit: string[] = ['not looked'];
    const [changedAll, other] = await Promise.allSettled([
      db.transaction().execute(async (trx) => {
        await trx.updateTable('items').set({ note: 'n'.repeat(1_000) }).execute();
        duringUnit = tempFiles();
        throw new Error('undo me');
      }),
      db.transaction().execute((trx) => trx.insertInto('items').values({ id: 1_000, note: 'same batch' }).execute()),
    ]);
    expect(duringUnit).toEqual([]);
    expect(changedAll).toMatchObject({ status: 'rejected', reason: { message: 'undo me' } });
    expect(other.status).toBe('fulfilled');
    expect(outside.prepare("select count(*) as n from items where note like 'o%'").get()).toEqual({ n: 200 });
    expect(committed(1_000).n).toBe(1);
  });

  it('works on :memory: too, where reads share the one connection', async () => {
    const mem = new Kysely<T>({ dialect: new GroupCommitSqliteDialect({ file: ':memory:' }) });
    try {
      await sql`create table items (id integer primary key, note text not null)`.execute(mem);
      await Promise.all(Array.from({ length: 20 }, (_, i) => mem.transaction().execute((trx) => trx.insertInto('items').values({ id: i, note: 'm' }).execute())));
      const rows = await mem.selectFrom('items').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(rows.n).toBe(20);
    } finally {
      await mem.destroy();
    }
  });
});
