import { cpus } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { helloWorld, pgbench, postgresTransactions, sqliteTransactions } from './anchors.js';
import { freshDatabase, postgresUnavailable, type BenchDialect, type BenchDatabase } from './databases.js';
import { apiFigures, CONNECTIONS, intakeWithHistory, type ApiFigures } from './api.js';
import { stopLoadClient, type Load } from './load.js';
import { pipeline, type PipelineFigures } from './pipeline.js';
import { scaleOut, type ScaleOutFigures } from './scale-out.js';

/**
 * `npm run bench`: kios's figures beside anchors measured in the same run on the same machine,
 * with the ratio, so a figure means something on any machine. See README, "Benchmarks".
 */

const CONCURRENCY = 16; // the anchors' client count

const program = new Command('bench')
  .description('measure kios against raw database, pgbench and hello-world anchors')
  .option('--orders <n>', 'orders per pipeline run', (v) => positive(v), 2000)
  .option('--seconds <n>', 'seconds per anchor measurement', (v) => positive(v), 2)
  .option('--sqlite-only', 'leave PostgreSQL out')
  .option('--history <sizes>', 'intake measured with this many orders already in the database (comma-separated)', (v) => v.split(',').map(positive), [1_000, 100_000])
  .parse();
const opts = program.opts<{ orders: number; seconds: number; sqliteOnly?: boolean; history: number[] }>();

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
}

interface Column {
  dialect: BenchDialect;
  tx: number;
  /** SQLite only: the same transaction with synchronous=NORMAL. */
  txNormal: number | null;
  pgbench: number | string | null;
  simulator: PipelineFigures;
  digiflazz: PipelineFigures;
  api: ApiFigures;
  history: { history: number; intake: Load }[];
  /** PostgreSQL only: api processes and a worker process of their own. */
  scaleOut: ScaleOutFigures | null;
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
  const txNormal = dialect === 'sqlite' ? await withDatabase(dialect, (db) => sqliteTransactions(db, ms, 'NORMAL')) : null;
  const bench = dialect === 'postgres' ? await withDatabase(dialect, (db) => pgbench(db, CONCURRENCY, opts.seconds)) : null;
  progress(`${dialect}: pipeline through the simulator, ${opts.orders} orders`);
  const simulator = await withDatabase(dialect, (db) => pipeline(db, 'simulator', opts.orders));
  progress(`${dialect}: pipeline through the Digiflazz fake, ${opts.orders} orders`);
  const digiflazz = await withDatabase(dialect, (db) => pipeline(db, 'digiflazz', opts.orders));
  progress(`${dialect}: the reseller API, ${opts.orders} orders per figure`);
  const api = await withDatabase(dialect, (db) => apiFigures(db, opts.orders, opts.seconds));
  progress(`${dialect}: intake with ${opts.history.join(', ')} orders in the database`);
  const history = await withDatabase(dialect, (db) => intakeWithHistory(db, opts.history, opts.orders));
  if (dialect === 'postgres') progress('postgres: 1 and 2 api processes beside a worker process');
  const scaled = dialect === 'postgres' ? await withDatabase(dialect, (db) => scaleOut(db, opts.orders)) : null;
  return { dialect, tx, txNormal, pgbench: bench, simulator, digiflazz, api, history, scaleOut: scaled };
}

function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K… ${what}`);
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const ms = (v: number) => (v < 10 ? v.toFixed(1) : Math.round(v).toString());
/** A load figure: its rate, the ratio to its anchor, and its latency percentiles. */
const withLatency = (l: Load, anchor: number, what: string) => `${n(l.rate)}  ${x(l.rate, anchor)} ${what}  p50 ${ms(l.p50)} ms  p99 ${ms(l.p99)} ms`;

const unavailable = opts.sqliteOnly ? 'left out (--sqlite-only)' : await postgresUnavailable();
progress('anchor: HTTP hello-world');
const hello = await helloWorld(CONNECTIONS, opts.seconds * 1000);
const columns: Column[] = [];
try {
  columns.push(await column('sqlite'));
  if (!unavailable) columns.push(await column('postgres'));
} finally {
  await stopLoadClient();
}
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

const rows: [string, ...((c: Column) => string)[]][] = [
  ['anchor: money transaction on the bare database (tx/s)', (c) => n(c.tx)],
  ['anchor: the same, SQLite synchronous=NORMAL (tx/s)', (c) => (c.txNormal === null ? '-' : n(c.txNormal))],
  ['anchor: pgbench TPC-B-like, 16 clients (tps)', (c) => (c.pgbench === null ? '-' : typeof c.pgbench === 'number' ? n(c.pgbench) : c.pgbench)],
  [`anchor: HTTP hello-world POST, same framework and client, ${CONNECTIONS} connections (req/s)`, () => n(hello.post.rate)],
  [`anchor: hello-world GET, ${CONNECTIONS} connections (req/s)`, () => `${n(hello.get.rate)}  p50 ${ms(hello.get.p50)} ms  p99 ${ms(hello.get.p99)} ms`],
  ['order intake, POST /v2/order (orders/s)', (c) => `${n(c.simulator.intake)}  ${x(c.simulator.intake, c.tx)} tx`],
  [`intake, worker in the same process, 1 reseller, ${CONNECTIONS} conns (orders/s)`, (c) => withLatency(c.api.intakeHot, anchorOf(c), anchorName(c))],
  ['  orders final over that run (/s)', (c) => `${n(c.api.finalDuringIntake)}  ${x(c.api.finalDuringIntake, c.api.intakeHot.rate)} intake`],
  ['  callbacks delivered over that run (/s)', (c) => `${n(c.api.callbacks)}  ${x(c.api.callbacks, c.api.intakeHot.rate)} intake`],
  ['intake, 100 resellers (orders/s)', (c) => withLatency(c.api.intakeSpread, anchorOf(c), anchorName(c))],
  ['Otomax v3 order (orders/s)', (c) => withLatency(c.api.otomax, anchorOf(c), anchorName(c))],
  ['GET /v1/user (req/s)', (c) => withLatency(c.api.user, hello.get.rate, 'hello')],
  ['GET /v1/products, demo catalog (req/s)', (c) => withLatency(c.api.products, hello.get.rate, 'hello')],
  ['GET /v1/status/:invoice (req/s)', (c) => withLatency(c.api.status, hello.get.rate, 'hello')],
  ...opts.history.map((h, i): [string, (c: Column) => string] => [
    `intake, api role, ${n(h)} orders in the database (orders/s)`,
    (c) => withLatency(c.history[i]!.intake, c.history[0]!.intake.rate, `${n(opts.history[0]!)}-order rate`),
  ]),
  ['intake, 1 api process + 1 worker process (orders/s)', (c) => (c.scaleOut ? withLatency(c.scaleOut.one, anchorOf(c), anchorName(c)) : '-')],
  ['intake, 2 api processes + 1 worker process (orders/s)', (c) => (c.scaleOut ? `${withLatency(c.scaleOut.two, anchorOf(c), anchorName(c))}  ${x(c.scaleOut.two.rate, c.scaleOut.one.rate)} one process` : '-')],
  ['pipeline via simulator (orders final/s)', (c) => `${n(c.simulator.final)}  ${x(c.simulator.final, c.tx)} tx`],
  ['pipeline via Digiflazz fake (orders final/s)', (c) => `${n(c.digiflazz.final)}  ${x(c.digiflazz.final, c.simulator.final)} simulator`],
  ['route lookups at worker concurrency (/s)', (c) => n(c.digiflazz.routeLookups)],
  ['routing share of the Digiflazz pipeline (limit 10%)', (c) => share(c.digiflazz)],
];

/** Intake's anchor: the bare FULL transaction on SQLite; pgbench (when it ran) on PostgreSQL, as the issue sets its targets. */
function anchorOf(c: Column): number {
  return c.dialect === 'postgres' && typeof c.pgbench === 'number' ? c.pgbench : c.tx;
}
function anchorName(c: Column): string {
  return c.dialect === 'postgres' && typeof c.pgbench === 'number' ? 'pgbench' : 'tx';
}

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
// ru_maxrss is in kilobytes on Linux: the whole bench process, kios included (it runs in-process).
console.log(`peak RSS of the bench process (kios in-process): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
