import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { POSTGRES_URL, type BenchDatabase } from './databases.js';
import { load, type Load } from './load.js';
import { rate } from './pipeline.js';

/**
 * What kios is measured against, on the same machine in the same run: the database doing the
 * smallest honest version of an order's money transaction (debit a balance, append a ledger
 * entry, insert the order) with nothing of ours around it, pgbench's own TPC-B-like figure, and
 * an HTTP hello-world behind the same framework and client.
 */

/**
 * Money transactions per second on a bare SQLite file with kios's settings (`FULL`: a committed
 * transaction survives power loss), or with `NORMAL` (WAL's faster mode, which may lose the last
 * transactions on power loss) for comparison.
 */
export async function sqliteTransactions(db: BenchDatabase, ms: number, synchronous: 'FULL' | 'NORMAL' = 'FULL'): Promise<number> {
  const sqlite = new Database(join(db.dataDir, `anchor-${synchronous}.db`));
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${synchronous}`);
    sqlite.exec(`create table accounts (id integer primary key, balance integer not null);
      create table entries (id integer primary key, account integer not null, amount integer not null, at integer not null);
      create table orders (id text primary key, account integer not null, amount integer not null, status text not null);
      insert into accounts values (1, 1000000000000);`);
    const debit = sqlite.prepare('update accounts set balance = balance - ? where id = 1 and balance >= ?');
    const entry = sqlite.prepare('insert into entries (account, amount, at) values (1, ?, ?)');
    const order = sqlite.prepare("insert into orders values (?, 1, ?, 'PENDING')");
    let n = 0;
    const tx = sqlite.transaction(() => {
      n++;
      debit.run(9405, 9405);
      entry.run(-9405, Date.now());
      order.run(`o${n}`, 9405);
    });
    return await rate(1, ms, async () => tx.immediate());
  } finally {
    sqlite.close();
  }
}

/** The same transaction on PostgreSQL from `clients` connections (one row per client's account). */
export async function postgresTransactions(db: BenchDatabase, clients: number, ms: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: db.url, max: clients });
  try {
    await pool.query(`create table anchor_accounts (id integer primary key, balance bigint not null);
      create table anchor_entries (id bigserial primary key, account integer not null, amount bigint not null, at bigint not null);
      create table anchor_orders (id text primary key, account integer not null, amount bigint not null, status text not null);
      insert into anchor_accounts select g, 1000000000000 from generate_series(1, ${clients}) g;`);
    let n = 0;
    return await rate(clients, ms, async () => {
      const id = ++n;
      const account = (id % clients) + 1;
      const c = await pool.connect();
      try {
        await c.query('begin');
        await c.query('update anchor_accounts set balance = balance - $2 where id = $1 and balance >= $2', [account, 9405]);
        await c.query('insert into anchor_entries (account, amount, at) values ($1, $2, $3)', [account, -9405, Date.now()]);
        await c.query("insert into anchor_orders values ($1, $2, $3, 'PENDING')", [`o${id}`, account, 9405]);
        await c.query('commit');
      } finally {
        c.release();
      }
    });
  } finally {
    await pool.end();
  }
}

/** pgbench's TPC-B-like transactions per second, or why it could not run. */
export async function pgbench(db: BenchDatabase, clients: number, seconds: number): Promise<number | string> {
  const run = promisify(execFile);
  const env = { ...process.env, PGOPTIONS: `-c search_path=${db.schema}` };
  try {
    await run('pgbench', ['-i', '-q', '-s', '1', POSTGRES_URL], { env });
    const { stdout } = await run('pgbench', ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), POSTGRES_URL], { env });
    const tps = /tps = ([\d.]+)/.exec(stdout);
    return tps ? Number(tps[1]) : 'no tps in its output';
  } catch (err) {
    return `pgbench did not run: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** A Fastify hello-world (a POST and a GET) from the same HTTP client and load generator kios's figures use. */
export async function helloWorld(clients: number, ms: number): Promise<{ post: Load; get: Load }> {
  const app = Fastify();
  app.post('/v2/order', async () => ({ statusCode: 201, message: 'hello' }));
  app.get('/v1/user', async () => ({ statusCode: 200, message: 'success', data: { user_balance: 1 } }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const post = await load(clients, { ms }, { origins: [url], method: 'POST', path: '/v2/order', headers: { 'content-type': 'application/json' }, body: '{"product_code":"FF70"}', status: 200 });
    const get = await load(clients, { ms }, { origins: [url], method: 'GET', path: '/v1/user', status: 200 });
    return { post, get };
  } finally {
    await app.close();
  }
}
