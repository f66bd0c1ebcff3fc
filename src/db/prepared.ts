import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Queryable } from './index.js';

/**
 * Queries on the order path, built once. Kysely builds an immutable tree and compiles it to SQL
 * on every call: 70 to 130 µs a query, which across the fifteen-odd queries of an order cost
 * more CPU than the database did. A prepared query is built and compiled on its first call with
 * a marker standing in for each argument; later calls with the same argument names only put
 * the values where the markers were.
 *
 * The rule that keeps this exact: every argument must reach the query as a bound parameter,
 * unchanged. A builder that branches on a value, concatenates it or inlines it would bake the
 * first call's value into the SQL; that is detected at the first call (a marker in the SQL
 * text, inside a longer parameter, or missing) and refused loudly.
 */

const MARK = '\u0000kios:arg:';

/** The SQL text of every prepared query, and its statement name on PostgreSQL (src/db/index.ts). */
export const statementNames = new Map<string, string>();

interface Compiled {
  template: CompiledQuery;
  /** Per parameter position: the argument it takes, or undefined for a constant. */
  slots: (string | undefined)[];
}

export interface Prepared<A extends Record<string, unknown>, R> {
  /** All rows. */
  all(q: Queryable, args: A): Promise<R[]>;
  /** The first row, if any. */
  first(q: Queryable, args: A): Promise<R | undefined>;
  /** Rows changed (INSERT/UPDATE/DELETE without RETURNING). */
  changes(q: Queryable, args: A): Promise<number>;
}

export function prepared<A extends Record<string, unknown>, R>(build: (q: Queryable, args: A) => Compilable<R>): Prepared<A, R> {
  // Per dialect (its adapter object, shared by a Kysely instance and its transactions), then
  // per set of argument names (an optional column left out is another statement).
  const cache = new WeakMap<object, Map<string, Compiled>>();

  const compiled = (q: Queryable, args: A): CompiledQuery => {
    const dialect = q.getExecutor().adapter;
    let byShape = cache.get(dialect);
    if (!byShape) cache.set(dialect, (byShape = new Map()));
    const names = Object.keys(args);
    const shape = names.join(',');
    let c = byShape.get(shape);
    if (!c) {
      c = compile(build, q, names);
      byShape.set(shape, c);
    }
    const parameters = c.slots.map((name, i) => {
      if (name === undefined) return c.template.parameters[i];
      const v = args[name];
      if (v === undefined) throw new TypeError(`prepared query: argument "${name}" is undefined`);
      return v;
    });
    return { ...c.template, parameters };
  };

  return {
    all: async (q, args) => (await q.executeQuery<R>(compiled(q, args))).rows,
    first: async (q, args) => (await q.executeQuery<R>(compiled(q, args))).rows[0],
    changes: async (q, args) => Number((await q.executeQuery(compiled(q, args)) as QueryResult<unknown>).numAffectedRows ?? 0n),
  };
}

function compile<A extends Record<string, unknown>>(build: (q: Queryable, args: A) => Compilable<unknown>, q: Queryable, names: string[]): Compiled {
  const markers = Object.fromEntries(names.map((n) => [n, `${MARK}${n}`])) as A;
  const template = build(q, markers).compile();
  if (template.sql.includes(MARK)) throw new Error(`prepared query: an argument was written into the SQL text: ${template.sql}`);
  const slots = template.parameters.map((p) => {
    if (typeof p !== 'string' || !p.includes(MARK)) return undefined;
    const name = p.slice(MARK.length);
    if (!p.startsWith(MARK) || !names.includes(name)) throw new Error(`prepared query: an argument was changed before binding: ${JSON.stringify(p)}`);
    return name;
  });
  for (const n of names) if (!slots.includes(n)) throw new Error(`prepared query: argument "${n}" is not a parameter of the query`);
  // A `select *` or `returning *` statement prepared by a running process fails once a migration
  // (a newer version starting beside it) adds a column: PostgreSQL refuses a cached plan whose
  // result changed. Those stay unnamed; every other statement names its columns.
  if (!template.sql.includes('*') && !statementNames.has(template.sql)) statementNames.set(template.sql, `kios_${statementNames.size + 1}`);
  return { template, slots };
}

export interface PreparedRows<Row, R> {
  /** All rows returned (an INSERT with RETURNING). */
  all(q: Queryable, rows: readonly Row[]): Promise<R[]>;
  /** Rows written. */
  changes(q: Queryable, rows: readonly Row[]): Promise<number>;
}

/** Statements kept per query and dialect: the batch sizes of a busy minute, not every size ever seen. */
const ROW_COUNTS_KEPT = 64;

interface CompiledRows {
  template: CompiledQuery;
  /** Per parameter position: the row and column it takes, or row -1 for a constant. */
  row: Int32Array;
  column: string[];
}

/**
 * A multi-row INSERT built once per number of rows, as `prepared` builds a query once per set of
 * argument names. A batch of intakes writes its orders, jobs, events and ledger entries in one
 * statement each, and Kysely built those afresh on every batch, a tree node per value (29 per
 * order), while the SQLite write lock was held.
 *
 * `columns` names every column a row gives (the compiler checks the list is complete for `Row`).
 * A row with any other set of keys is refused, so a column added to `Row` can never be dropped
 * silently. The same rules as `prepared` hold for the values. On PostgreSQL these stay unnamed
 * statements: one per batch size would be hundreds of server-side plans per connection.
 */
export function preparedRows<Row extends Record<string, unknown>, R = never>(
  columns: Record<keyof Row & string, true>,
  build: (q: Queryable, rows: Row[]) => Compilable<R>,
): PreparedRows<Row, R> {
  const names = Object.keys(columns);
  const cache = new WeakMap<object, Map<number, CompiledRows>>();

  const compiled = (q: Queryable, rows: readonly Row[]): CompiledQuery => {
    for (const r of rows) if (Object.keys(r).length !== names.length) throw new TypeError(`prepared rows: a row must give exactly ${names.join(', ')}; it gives ${Object.keys(r).join(', ')}`);
    const dialect = q.getExecutor().adapter;
    let byCount = cache.get(dialect);
    if (!byCount) cache.set(dialect, (byCount = new Map()));
    let c = byCount.get(rows.length);
    if (c) {
      byCount.delete(rows.length); // most recently used last
    } else {
      c = compileRows(build, q, names, rows.length);
      if (byCount.size >= ROW_COUNTS_KEPT) byCount.delete(byCount.keys().next().value!);
    }
    byCount.set(rows.length, c);
    const { template, row, column } = c;
    const parameters = new Array<unknown>(row.length);
    for (let i = 0; i < row.length; i++) {
      const r = row[i]!;
      if (r < 0) {
        parameters[i] = template.parameters[i];
        continue;
      }
      const v = rows[r]![column[i]!];
      if (v === undefined) throw new TypeError(`prepared rows: column "${column[i]}" of row ${r} is undefined`);
      parameters[i] = v;
    }
    return { ...template, parameters };
  };

  return {
    all: async (q, rows) => (await q.executeQuery<R>(compiled(q, rows))).rows,
    changes: async (q, rows) => Number((await q.executeQuery(compiled(q, rows)) as QueryResult<unknown>).numAffectedRows ?? 0n),
  };
}

function compileRows<Row extends Record<string, unknown>>(build: (q: Queryable, rows: Row[]) => Compilable<unknown>, q: Queryable, names: string[], count: number): CompiledRows {
  if (count === 0) throw new RangeError('prepared rows: no rows to insert');
  const markers = Array.from({ length: count }, (_, r) => Object.fromEntries(names.map((n) => [n, `${MARK}${r}:${n}`])) as Row);
  const template = build(q, markers).compile();
  if (template.sql.includes(MARK)) throw new Error(`prepared rows: a value was written into the SQL text: ${template.sql.slice(0, 200)}`);
  const row = new Int32Array(template.parameters.length).fill(-1);
  const column: string[] = new Array(template.parameters.length);
  const bound = new Set<string>();
  template.parameters.forEach((p, i) => {
    if (typeof p !== 'string' || !p.includes(MARK)) return;
    const sep = p.indexOf(':', MARK.length);
    const [r, name] = [p.slice(MARK.length, sep), p.slice(sep + 1)];
    if (!p.startsWith(MARK) || !names.includes(name) || !(Number(r) < count)) throw new Error(`prepared rows: a value was changed before binding: ${JSON.stringify(p)}`);
    row[i] = Number(r);
    column[i] = name;
    bound.add(p);
  });
  if (bound.size !== count * names.length) throw new Error(`prepared rows: ${count * names.length - bound.size} of the values are not parameters of the query`);
  return { template, row, column };
}
