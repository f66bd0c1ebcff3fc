import { CompiledQuery, type KyselyPlugin } from 'kysely';
import { expect } from 'vitest';
import type { Db } from '../../src/db/index.js';

/**
 * Query plans, for tests that hold lists to being index-backed: the queries code really runs
 * (recorded as it runs them) and the plan each database takes for them.
 */

/** Every query run through the returned Db, compiled as the database receives it. */
export function recording(db: Db): { db: Db; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      queries.push(db.kysely.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: { ...db, kysely: db.kysely.withPlugin(plugin) }, queries };
}

/** The plan, one line per step: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL node types with their index. */
export async function planOf(db: Db, q: CompiledQuery): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const r = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
    return r.rows.map((x) => x.detail);
  }
  // At 20k rows PostgreSQL's default cost of a random page read (4, tuned for spinning disks)
  // makes fetching a few hundred scattered rows look dearer than reading rows laid out in time
  // order and filtering them; at a million orders it reads these lists off an index in order with
  // the default too. The SSD setting, for this transaction only, shows the plan it takes at
  // scale while leaving every choice to the planner.
  const r = await db.kysely.transaction().execute(async (trx) => {
    await trx.executeQuery(CompiledQuery.raw('set local random_page_cost = 1.1'));
    return trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PgPlan }] }>(CompiledQuery.raw(`explain (format json) ${q.sql}`, [...q.parameters]));
  });
  const steps: string[] = [];
  const walk = (p: PgPlan) => {
    steps.push([p['Node Type'], p['Relation Name'], p['Index Name'] && `using ${p['Index Name']}`].filter(Boolean).join(' '));
    for (const c of p.Plans ?? []) walk(c);
  };
  walk(r.rows[0]!['QUERY PLAN'][0].Plan);
  return steps;
}

interface PgPlan {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PgPlan[];
}

/** `table` is read through `index` (as a range or in order), never scanned whole, and nothing is sorted. */
export function expectIndexed(dialect: string, plan: string[], table: string, index: string): void {
  const text = plan.join('\n');
  if (dialect === 'sqlite') {
    expect(text).toMatch(new RegExp(`(SEARCH|SCAN) ${table} USING (COVERING )?INDEX ${index}\\b`));
    expect(text).not.toMatch(new RegExp(`SCAN ${table}$`, 'm'));
    expect(text).not.toMatch(/TEMP B-TREE/);
  } else {
    expect(text).toMatch(new RegExp(`Index (Only )?Scan ${table} using ${index}\\b`));
    expect(text).not.toMatch(new RegExp(`Seq Scan ${table}\\b`));
    expect(text).not.toMatch(/Sort/);
  }
}

