import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';
import { prepared } from '../../src/db/prepared.js';
import { DIALECTS, freshDatabase, migratedDatabase, type TestDatabase } from '../helpers/databases.js';

/** Queries built once and bound many times (src/db/prepared.ts), on the real schema. */
describe.each(DIALECTS)('prepared queries (%s)', (dialect) => {
  let database: Awaited<ReturnType<typeof migratedDatabase>>;
  let db: Db;
  beforeAll(async () => {
    database = await migratedDatabase(dialect);
    db = database.db;
  });
  afterAll(async () => database?.close());

  const insertRole = prepared((q, r: { code: string; name: string; sort_order: number; created_at: number }) => q.insertInto('roles').values(r));
  const roleByCode = prepared((q, a: { code: string }) => q.selectFrom('roles').select(['code', 'name']).where('code', '=', a.code));
  const renameRole = prepared((q, a: { code: string; name: string }) => q.updateTable('roles').set({ name: a.name }).where('code', '=', a.code));

  it('binds each call\'s own values into the query built at the first call', async () => {
    for (let i = 0; i < 5; i++) expect(await insertRole.changes(db.kysely, { code: `t${i}`, name: `Tier ${i}`, sort_order: 10 + i, created_at: i })).toBe(1);
    for (let i = 4; i >= 0; i--) expect(await roleByCode.first(db.kysely, { code: `t${i}` })).toEqual({ code: `t${i}`, name: `Tier ${i}` });
    expect(await roleByCode.first(db.kysely, { code: 'nope' })).toBeUndefined();
    expect(await renameRole.changes(db.kysely, { code: 't2', name: 'Renamed' })).toBe(1);
    expect(await renameRole.changes(db.kysely, { code: 'nope', name: 'x' })).toBe(0);
    expect((await roleByCode.all(db.kysely, { code: 't2' }))[0]!.name).toBe('Renamed');
  });

  it('runs inside a transaction, and rolls back with it', async () => {
    await expect(
      db.transaction(async (trx) => {
        await insertRole.changes(trx, { code: 'rolled', name: 'Rolled back', sort_order: 99, created_at: 0 });
        expect(await roleByCode.first(trx, { code: 'rolled' })).toBeDefined();
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await roleByCode.first(db.kysely, { code: 'rolled' })).toBeUndefined();
  });

  it('refuses, at the first call, an argument that would not reach the database as it is given', async () => {
    const transformed = prepared((q, a: { q: string }) => q.selectFrom('roles').select('code').where('name', 'like', `%${a.q}%`));
    await expect(transformed.all(db.kysely, { q: 'Tier' })).rejects.toThrow(/changed before binding/);
    const computed = prepared((q, a: { amount: number }) => q.selectFrom('roles').select('code').where('code', '=', String(-a.amount)));
    await expect(computed.all(db.kysely, { amount: 5 })).rejects.toThrow(/argument "amount" is not a parameter/);
    const inlined = prepared((q, a: { code: string }) => q.selectFrom('roles').select('code').where(sql.raw(`code = '${a.code}'`) as never));
    await expect(inlined.all(db.kysely, { code: 't1' })).rejects.toThrow(/written into the SQL text/);
    await expect(roleByCode.first(db.kysely, { code: undefined as unknown as string })).rejects.toThrow(/"code" is undefined/);
  });

  it('binds null like any value', async () => {
    const byPhone = prepared((q, a: { email: string; phone: string | null }) => q.updateTable('resellers').set({ phone: a.phone }).where('email', '=', a.email));
    expect(await byPhone.changes(db.kysely, { email: 'nobody@example.com', phone: null })).toBe(0);
  });
});

/** On PostgreSQL, prepared queries are named server-side statements, parsed once per connection. */
describe.runIf(DIALECTS.includes('postgres'))('named statements (postgres)', () => {
  let tdb: TestDatabase;
  const opened: Db[] = [];
  const open = async (preparedStatements: boolean) => {
    const db = createDb(tdb.url, { poolSize: 1, preparedStatements });
    opened.push(db);
    await migrateToLatest(db);
    return db;
  };
  beforeAll(async () => {
    tdb = await freshDatabase('postgres');
  });
  afterAll(async () => {
    for (const db of opened) await db.close();
    await tdb?.drop();
  });

  const byCode = prepared((q, a: { code: string }) => q.selectFrom('roles').select(['code', 'name']).where('code', '=', a.code));
  const starByCode = prepared((q, a: { code: string }) => q.selectFrom('roles').selectAll().where('code', '=', a.code));
  // The session's prepared statements (one pooled connection, so the same session as the queries).
  const serverStatements = async (db: Db) => (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db.kysely)).rows.map((r) => r.statement);

  it('prepares each named-column query once on the connection and keeps answering after a column is added', async () => {
    const db = await open(true);
    await db.kysely.insertInto('roles').values({ code: 'n1', name: 'Named', sort_order: 1, created_at: 0 }).execute();
    for (let i = 0; i < 3; i++) expect(await byCode.first(db.kysely, { code: 'n1' })).toEqual({ code: 'n1', name: 'Named' });
    expect(await starByCode.first(db.kysely, { code: 'n1' })).toMatchObject({ code: 'n1' });
    const statements = await serverStatements(db);
    expect(statements.filter((s) => s.includes('from "roles"') && s.includes('"code", "name"'))).toHaveLength(1);
    // `select *` stays unnamed: a newer version's migration adding a column would break its plan.
    expect(statements.some((s) => s.includes('select * from "roles"'))).toBe(false);
    await sql`alter table roles add column note text`.execute(db.kysely);
    expect(await byCode.first(db.kysely, { code: 'n1' })).toEqual({ code: 'n1', name: 'Named' });
    expect(await starByCode.first(db.kysely, { code: 'n1' })).toMatchObject({ code: 'n1', note: null });
  });

  it('PG_PREPARED_STATEMENTS=false (a transaction-pooling PgBouncer) leaves every statement unnamed', async () => {
    const db = await open(false);
    expect(await byCode.first(db.kysely, { code: 'n1' })).toEqual({ code: 'n1', name: 'Named' });
    expect(await serverStatements(db)).toEqual([]);
  });
});
