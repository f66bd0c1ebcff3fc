import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench` keeps working: a tiny run (a few orders, 1 s anchors) prints every figure and its
 * ratio for each database CI has. Nothing here judges speed; the figures only have to exist, and
 * the bench itself refuses a run whose orders did not all succeed through the supplier measured.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run bench', () => {
  it('prints each figure beside its anchor, for SQLite and (when CI has it) PostgreSQL', { timeout: 120_000 }, async () => {
    const args = ['--import', 'tsx', 'bench/index.ts', '--orders', '40', '--seconds', '1', '--history', '100,300', ...(process.env.TEST_DATABASE_URL ? [] : ['--sqlite-only'])];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root });
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^kios bench: node v\d+.*40 orders per pipeline run/);
    const dialects = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
    expect(lines[1]!.trim().split(/\s+/)).toEqual(dialects);
    const row = (label: string) => {
      const line = lines.find((l) => l.startsWith(label));
      expect(line, label).toBeDefined();
      return line!.slice(label.length).trim().split(/\s{3,}/);
    };
    const figure = /^[\d,]+(  [\d.]+× (tx|simulator))?$/;
    for (const label of ['anchor: money transaction on the bare database (tx/s)', 'order intake, POST /v2/order (orders/s)', 'pipeline via simulator (orders final/s)', 'pipeline via Digiflazz fake (orders final/s)', 'route lookups at worker concurrency (/s)']) {
      const cells = row(label);
      expect(cells, label).toHaveLength(dialects.length);
      for (const c of cells) expect(c, label).toMatch(figure);
    }
    expect(row('pipeline via Digiflazz fake (orders final/s)')[0]).toMatch(/× simulator$/);
    for (const c of row('routing share of the Digiflazz pipeline (limit 10%)')) expect(c).toMatch(/^\d+\.\d% (ok|OVER)$/);
    if (process.env.TEST_DATABASE_URL) expect(row('anchor: pgbench TPC-B-like, 16 clients (tps)')[1]).toMatch(/^[\d,]+$/);
    // Figures with latency: rate, ratio to their anchor, p50 and p99.
    const timed = /^[\d,]+  [\d.]+× (tx|pgbench|hello|intake|100-order rate)  p50 [\d.]+ ms  p99 [\d.]+ ms$/;
    for (const label of [
      'intake, worker in the same process, 1 reseller, 50 conns (orders/s)',
      'intake, 100 resellers (orders/s)',
      'Otomax v3 order (orders/s)',
      'GET /v1/user (req/s)',
      'GET /v1/products, demo catalog (req/s)',
      'GET /v1/status/:invoice (req/s)',
      'intake, api role, 100 orders in the database (orders/s)',
      'intake, api role, 300 orders in the database (orders/s)',
    ]) {
      const cells = row(label);
      expect(cells, label).toHaveLength(dialects.length);
      for (const c of cells) expect(c, label).toMatch(timed);
    }
    for (const label of ['  orders final over that run (/s)', '  callbacks delivered over that run (/s)']) for (const c of row(label)) expect(c, label).toMatch(/^[\d,]+  [\d.]+× intake$/);
    expect(row('anchor: the same, SQLite synchronous=NORMAL (tx/s)')[0]).toMatch(/^[\d,]+$/);
    // Scale-out is a PostgreSQL figure: separate api and worker processes on one database.
    const one = row('intake, 1 api process + 1 worker process (orders/s)');
    const two = row('intake, 2 api processes + 1 worker process (orders/s)');
    expect(one[0]).toBe('-');
    expect(two[0]).toBe('-');
    if (process.env.TEST_DATABASE_URL) {
      expect(one[1]).toMatch(timed);
      expect(two[1]).toMatch(/^[\d,]+  [\d.]+× pgbench  p50 [\d.]+ ms  p99 [\d.]+ ms  [\d.]+× one process$/);
    }
    expect(lines.find((l) => l.startsWith('peak RSS of the bench process'))).toMatch(/: \d+ MB$/);
  });
});
