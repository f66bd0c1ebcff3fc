import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';
import { prepared, preparedRows } from '../../src/db/prepared.js';
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

  type Role = { code: string; name: string; sort_order: number; created_at: number };
  let builds = 0;
  const insertRoles = preparedRows<Role, { code: string }>({ code: true, name: true, sort_order: true, created_at: true }, (q, rows) => {
    builds++;
    return q.insertInto('roles').values(rows).onConflict((oc) => oc.doNothing()).returning('code');
  });
  const rolesLike = async (prefix: string) =>
    db.kysely.selectFrom('roles').select(['code', 'name', 'sort_order', 'created_at']).where('code', 'like', `${prefix}%`).orderBy('code').execute();

  it('inserts many rows in one statement built once per number of rows, each call with its own values', async () => {
    const batch = (tag: string, n: number): Role[] => Array.from({ length: n }, (_, i) => ({ code: `${tag}${i}`, name: `${tag} ${i}`, sort_order: i, created_at: 1_000 + i }));
    // The same row counts again with other values: the statements built for 3 and 1 rows are reused.
    for (const [tag, n] of [['ra', 3], ['rb', 1], ['rc', 3], ['rd', 1], ['re', 7]] as const) {
      const rows = batch(tag, n);
      expect(await insertRoles.all(db.kysely, rows)).toEqual(rows.map((r) => ({ code: r.code })));
      expect(await rolesLike(tag)).toEqual(rows);
    }
    // RETURNING gives only the rows written: the duplicate is skipped by ON CONFLICT DO NOTHING.
    const mixed = [...batch('ra', 1), ...batch('rf', 2)];
    expect(await insertRoles.all(db.kysely, mixed)).toEqual([{ code: 'rf0' }, { code: 'rf1' }]);
    expect(builds).toBe(3); // for 3, 1 and 7 rows
    const insertRolesQuietly = preparedRows<Role>({ code: true, name: true, sort_order: true, created_at: true }, (q, rows) => q.insertInto('roles').values(rows));
    expect(await insertRolesQuietly.changes(db.kysely, batch('rg', 2))).toBe(2);
    expect(await rolesLike('rg')).toEqual(batch('rg', 2));
  });

  it('refuses rows that are not the declared columns, and values the builder would change, writing nothing', async () => {
    const extra = { code: 'rx', name: 'x', sort_order: 1, created_at: 1, note: 'dropped?' } as Role;
    await expect(insertRoles.all(db.kysely, [extra])).rejects.toThrow(/must give exactly code, name, sort_order, created_at/);
    const missing = { code: 'ry', name: 'y', sort_order: 1, created_at: undefined } as unknown as Role;
    await expect(insertRoles.all(db.kysely, [missing])).rejects.toThrow(/"created_at" of row 0 is undefined/);
    const changed = preparedRows<Role>({ code: true, name: true, sort_order: true, created_at: true }, (q, rows) =>
      q.insertInto('roles').values(rows.map((r) => ({ ...r, name: `${r.name}!` }))),
    );
    await expect(changed.changes(db.kysely, [{ code: 'rz', name: 'z', sort_order: 1, created_at: 1 }])).rejects.toThrow(/changed before binding/);
    const dropped = preparedRows<Role>({ code: true, name: true, sort_order: true, created_at: true }, (q, rows) =>
      q.insertInto('roles').values(rows.map((r) => ({ code: r.code, name: 'fixed', sort_order: r.sort_order, created_at: r.created_at }))),
    );
    await expect(dropped.changes(db.kysely, [{ code: 'rw', name: 'w', sort_order: 1, created_at: 1 }])).rejects.toThrow(/1 of the values are not parameters/);
    expect(await rolesLike('r')).not.toContainEqual(expect.objectContaining({ code: expect.stringMatching(/^r[xyzw]$/) }));
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
