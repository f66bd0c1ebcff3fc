import { cpus } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { helloWorld, pgbench, postgresTransactions, sqliteTransactions } from './anchors.js';
import { freshDatabase, postgresUnavailable, type BenchDialect, type BenchDatabase } from './databases.js';
import { pipeline, type PipelineFigures } from './pipeline.js';

/**
 * `npm run bench`: kios's figures beside anchors measured in the same run on the same machine,
 * with the ratio, so a figure means something on any machine. See README, "Benchmarks".
 */

const CONCURRENCY = 16; // the worker's default, and the anchors' client count

const program = new Command('bench')
  .description('measure kios against raw database, pgbench and hello-world anchors')
  .option('--orders <n>', 'orders per pipeline run', (v) => positive(v), 2000)
  .option('--seconds <n>', 'seconds per anchor measurement', (v) => positive(v), 2)
  .option('--sqlite-only', 'leave PostgreSQL out')
  .parse();
const opts = program.opts<{ orders: number; seconds: number; sqliteOnly?: boolean }>();

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
}

interface Column {
  dialect: BenchDialect;
  tx: number;
  pgbench: number | string | null;
  simulator: PipelineFigures;
  digiflazz: PipelineFigures;
}

async function withDatabase<T>(dialect: BenchDialect, fn: (db: BenchDatabase) => Promise<T>): Promise<T> {
  const db = await freshDatabase(dialect);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

async function column(dialect: BenchDialect): Promise<Column> {
  const ms = opts.seconds * 1000;
  progress(`${dialect}: anchor transactions`);
  const tx = await withDatabase(dialect, (db) => (dialect === 'sqlite' ? sqliteTransactions(db, ms) : postgresTransactions(db, CONCURRENCY, ms)));
  const bench = dialect === 'postgres' ? await withDatabase(dialect, (db) => pgbench(db, CONCURRENCY, opts.seconds)) : null;
  progress(`${dialect}: pipeline through the simulator, ${opts.orders} orders`);
  const simulator = await withDatabase(dialect, (db) => pipeline(db, 'simulator', opts.orders));
  progress(`${dialect}: pipeline through the Digiflazz fake, ${opts.orders} orders`);
  const digiflazz = await withDatabase(dialect, (db) => pipeline(db, 'digiflazz', opts.orders));
  return { dialect, tx, pgbench: bench, simulator, digiflazz };
}

function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K… ${what}`);
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

const unavailable = opts.sqliteOnly ? 'left out (--sqlite-only)' : await postgresUnavailable();
progress('anchor: HTTP hello-world');
const hello = await helloWorld(32, opts.seconds * 1000);
const columns: Column[] = [await column('sqlite')];
if (!unavailable) columns.push(await column('postgres'));
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

const rows: [string, ...((c: Column) => string)[]][] = [
  ['anchor: money transaction on the bare database (tx/s)', (c) => n(c.tx)],
  ['anchor: pgbench TPC-B-like, 16 clients (tps)', (c) => (c.pgbench === null ? '-' : typeof c.pgbench === 'number' ? n(c.pgbench) : c.pgbench)],
  ['anchor: HTTP hello-world, same framework and client (req/s)', () => n(hello)],
  ['order intake, POST /v2/order (orders/s)', (c) => `${n(c.simulator.intake)}  ${x(c.simulator.intake, c.tx)} tx`],
  ['pipeline via simulator (orders final/s)', (c) => `${n(c.simulator.final)}  ${x(c.simulator.final, c.tx)} tx`],
  ['pipeline via Digiflazz fake (orders final/s)', (c) => `${n(c.digiflazz.final)}  ${x(c.digiflazz.final, c.simulator.final)} simulator`],
  ['route lookups at worker concurrency (/s)', (c) => n(c.digiflazz.routeLookups)],
  ['routing share of the Digiflazz pipeline (limit 10%)', (c) => share(c.digiflazz)],
];

/** The database time route choice takes per order, as a share of what the pipeline sustains. */
function share(f: PipelineFigures): string {
  const s = f.final / f.routeLookups;
  return `${(s * 100).toFixed(1)}% ${s <= 0.1 ? 'ok' : 'OVER'}`;
}

const header = ['', ...columns.map((c) => c.dialect)];
const table = [header, ...rows.map(([label, ...cells]) => [label, ...columns.map((c) => cells[0]!(c))])];
const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
console.log(`kios bench: node ${process.version}, ${cpus().length} cores, ${opts.orders} orders per pipeline run, anchors ${opts.seconds} s each`);
for (const r of table) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('   ').trimEnd());
if (unavailable) console.log(`postgres: ${unavailable}`);
