import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, PostgresIntrospector, sql, type DatabaseIntrospector, type TableMetadata, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { statementNames } from './prepared.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';

/**
 * All dialect differences live here, behind named capability flags, so the rest of the code is
 * one portable set of queries. SQLite is the zero-setup default; PostgreSQL is for scale.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** `FOR UPDATE SKIP LOCKED`: several workers can claim jobs concurrently (PostgreSQL). */
  readonly supportsSkipLocked: boolean;
  /** Only one process may write at a time (SQLite): the worker runs beside the API. */
  readonly singleWriter: boolean;
  /**
   * `SELECT ... FOR UPDATE` locks rows until commit (PostgreSQL). Without it (SQLite) every write
   * transaction is already exclusive (BEGIN IMMEDIATE), which serialises the same read-then-write.
   */
  readonly rowLocks: boolean;
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Anything queries can run on: the database itself or an open transaction. */
export type Queryable = Kysely<Database>;

export function parseDatabaseUrl(url: string): { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string } {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new Error('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/kios.db');
    return { dialect: 'sqlite', file };
  }
  throw new Error('DATABASE_URL must start with sqlite: or postgres://');
}

/** Redacts the password of a database URL for display. */
export function describeDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

/**
 * Kysely's PostgreSQL introspector (which its migrator uses to find its own tables) reads every
 * column of every schema and fails when another schema is dropped meanwhile ("schema ... does not
 * exist"). kios only ever needs the tables of its own schema: list those, by the catalog alone.
 */
class CurrentSchemaIntrospector extends PostgresIntrospector {
  readonly #db: Kysely<any>;
  constructor(db: Kysely<any>) {
    super(db);
    this.#db = db;
  }
  override async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm', 'f')`.execute(this.#db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v' || r.kind === 'm', columns: [] }));
  }
}

class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

export interface CreateDbOptions {
  poolSize?: number;
  /** PostgreSQL: run `prepared` queries as named server-side statements (default true). */
  preparedStatements?: boolean;
}

/**
 * Runs the queries built with `prepared` as named statements: the server parses and plans each
 * once per connection instead of on every call (a third more orders per second through one api
 * process). Kysely passes bare SQL text to `pg`, so the name is attached here, by that text.
 * Behind a transaction-pooling PgBouncer older than 1.21 (or without `max_prepared_statements`)
 * a named statement may land on a server connection that never prepared it: the operator
 * switches this off there (PG_PREPARED_STATEMENTS=false).
 */
function namePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === 'string' ? statementNames.get(text) : undefined;
    return name ? query({ name, text, values }, callback) : query(text, values, callback);
  };
}

export function createDb(url: string, opts: CreateDbOptions = {}): Db {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    const file = parsed.file === ':memory:' ? ':memory:' : resolve(parsed.file);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const kysely = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ file }) });
    return {
      kysely,
      dialect: 'sqlite',
      supportsSkipLocked: false,
      singleWriter: true,
      rowLocks: false,
      transaction: (fn) => kysely.transaction().execute(fn),
      close: () => kysely.destroy(),
    };
  }

  const pool = new pg.Pool({
    connectionString: parsed.url,
    max: opts.poolSize ?? 10,
    types: { getTypeParser: pgTypeParser as never },
  });
  // An idle client losing its server connection must not crash the process.
  pool.on('error', () => {});
  if (opts.preparedStatements !== false) pool.on('connect', namePreparedStatements);
  const kysely = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    supportsSkipLocked: true,
    singleWriter: false,
    rowLocks: true,
    transaction: (fn) => kysely.transaction().execute(fn),
    close: () => kysely.destroy(),
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** BIGINT columns hold rupiah and epoch milliseconds: both far inside 2^53, so numbers are exact. */
function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID || oid === NUMERIC_OID) {
    return (value: string) => {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of safe range: ${value}`);
      return n;
    };
  }
  return pg.types.getTypeParser(oid, format as 'text');
}

/**
 * Whether `err` is a unique-constraint violation, optionally on a constraint whose name
 * (PostgreSQL) or column list (SQLite) mentions `on`.
 */
export function isUniqueViolation(err: unknown, on?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code === '23505') return on === undefined || String(e.constraint ?? '').includes(on);
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return on === undefined || String(e.message ?? '').includes(on);
  }
  return false;
}

/** 1/0 integer columns. */
export const flag = (b: boolean): number => (b ? 1 : 0);
