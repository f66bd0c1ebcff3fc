import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';

/**
 * Every suite runs against a real SQLite file, and against a real PostgreSQL when
 * TEST_DATABASE_URL is set (CI sets it). Each test database is private: a fresh file, or a fresh
 * schema selected through the connection's search_path, dropped afterwards.
 */
export type TestDialect = 'sqlite' | 'postgres';

export const DIALECTS: TestDialect[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  dialect: TestDialect;
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

export async function freshDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kios-test-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: `sqlite:${join(dataDir, 'kios.db')}`,
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `kios_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const sep = base.includes('?') ? '&' : '?';
  return {
    dialect,
    url: `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    dataDir,
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await c.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh database at the latest schema, opened through kios's own `createDb`; `close` also drops it. */
export async function migratedDatabase(dialect: TestDialect): Promise<{ db: Db; close(): Promise<void> }> {
  const tdb = await freshDatabase(dialect);
  const db = createDb(tdb.url);
  await migrateToLatest(db);
  return {
    db,
    async close() {
      await db.close();
      await tdb.drop();
    },
  };
}
