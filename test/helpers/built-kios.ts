import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createKios } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/index.js';
import { freshDatabase, type TestDatabase, type TestDialect } from './databases.js';
import { TEST_ENV } from './kios.js';
import { freePort, KiosProcess } from './pipeline.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What sets a kios up before it serves: the services the CLI uses, on its database. */
export type Provision = (k: Awaited<ReturnType<typeof createKios>>) => Promise<void>;

/** A built `kios serve` (dist/) on a database of its own, with a reader on that database. */
export interface BuiltKios {
  db: TestDatabase;
  reader: Db;
  /** Not started: the test starts it (and kills it, and starts it again). */
  proc: KiosProcess;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Sets one up as an operator would: a fresh database, provisioned first through the same services
 * as the CLI (`provision`), then the compiled process on a free port. `env` goes over the test
 * defaults (LOG_LEVEL warn).
 */
export async function builtKios(dialect: TestDialect, env: Record<string, string>, provision: Provision): Promise<BuiltKios> {
  if (!existsSync(`${ROOT}/dist/cli/index.js`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const db = await freshDatabase(dialect);
  try {
    const full: Record<string, string> = { ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env };
    const k = await createKios(loadConfig(full));
    try {
      await provision(k);
    } finally {
      await k.close();
    }
    const reader = createDb(db.url, { poolSize: 2 });
    const proc = new KiosProcess(ROOT, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...full });
    return {
      db,
      reader,
      proc,
      env: full,
      async close() {
        await proc.stop().catch(() => undefined);
        await reader.close().catch(() => undefined);
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
