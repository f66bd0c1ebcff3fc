import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Each measurement gets a database of its own: a fresh SQLite file, or a fresh schema in the
 * PostgreSQL at BENCH_DATABASE_URL (else TEST_DATABASE_URL, else the local one), dropped after.
 */
export type BenchDialect = 'sqlite' | 'postgres';

export interface BenchDatabase {
  dialect: BenchDialect;
  url: string;
  /** The schema (PostgreSQL) the url selects. */
  schema: string | null;
  dataDir: string;
  drop(): Promise<void>;
}

export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Null when PostgreSQL answers; otherwise why not (the column is then left out). */
export async function postgresUnavailable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function freshDatabase(dialect: BenchDialect): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kios-bench-'));
  if (dialect === 'sqlite') {
    return { dialect, url: `sqlite:${join(dataDir, 'kios.db')}`, schema: null, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `kios_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create schema ${schema}`);
  const sep = POSTGRES_URL.includes('?') ? '&' : '?';
  return {
    dialect,
    url: `${POSTGRES_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    schema,
    dataDir,
    async drop() {
      await admin(`drop schema if exists ${schema} cascade`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * The settings of every kios the bench starts: quiet, a simulator answering at once, no rate limit
 * in the way, callbacks allowed to the loopback receiver, no periodic supplier calls.
 */
export function kiosEnv(db: BenchDatabase): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    KIOS_SECRET_KEY: 'bench-secret-key-0123456789abcdef',
    DATA_DIR: db.dataDir,
    DATABASE_URL: db.url,
    SIMULATOR_LATENCY_MS: '0',
    RATE_LIMIT_MAX: '10000000',
    CALLBACK_ALLOW_PRIVATE: 'true',
    CALLBACK_RETRY_SCHEDULE: '0',
    SUPPLIER_BALANCE_INTERVAL_MIN: '0',
  };
}
