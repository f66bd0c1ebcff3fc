import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { DEMO_CATALOG } from '../src/demo/demo-catalog.js';
import { serve } from '../src/serve.js';
import { CONNECTIONS } from './api.js';
import { kiosEnv, type BenchDatabase } from './databases.js';
import { load, type Load } from './load.js';

/**
 * PostgreSQL scale-out as operators deploy it: `kios serve --role api` processes behind a load
 * balancer and a worker process, all on one database. Intake from one hot reseller is measured
 * with one api process, then with two (the load generator alternating between them, as a
 * round-robin balancer would). The worker runs throughout, so the database carries the pipeline
 * too. Every kios process is a child of its own; the bench process only sends load.
 */

export interface ScaleOutFigures {
  one: Load;
  two: Load;
}

const CLI = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
const PRODUCT = 'FF70';

/** `kios serve --role <role>` from the sources; resolves with its URL once it listens. */
async function child(db: BenchDatabase, role: 'api' | 'worker'): Promise<{ proc: ChildProcess; url: string | null }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--role', role], {
    env: { ...process.env, ...kiosEnv(db), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (role === 'worker') return { proc, url: null };
  let out = '';
  proc.stdout!.setEncoding('utf8');
  for await (const chunk of proc.stdout!) {
    out += chunk as string;
    const m = /kios is listening on (http:\/\/\S+)/.exec(out);
    if (m) {
      proc.stdout!.resume();
      return { proc, url: m[1]! };
    }
  }
  await once(proc, 'exit');
  throw new Error(`kios serve --role ${role} did not start: ${out}`);
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
}

export async function scaleOut(db: BenchDatabase, orders: number): Promise<ScaleOutFigures> {
  // Migrations, catalog and reseller from an in-process api that is stopped before measuring.
  const setup = await serve(loadConfig(kiosEnv(db)), 'api');
  await setup.kios.catalog.import(DEMO_CATALOG);
  const { apiKey } = await setup.kios.resellers.create({ name: 'Hot', email: 'hot@example.com', role: 'platinum', balance: 1_000_000_000_000 });
  await setup.stop();

  const procs: ChildProcess[] = [];
  const pools: Pool[] = [];
  try {
    const worker = await child(db, 'worker');
    procs.push(worker.proc);
    const apis = [];
    for (let i = 0; i < 2; i++) {
      const api = await child(db, 'api');
      procs.push(api.proc);
      apis.push(api);
      pools.push(new Pool(api.url!, { connections: CONNECTIONS }));
    }
    let placed = 0;
    const intake = (targets: Pool[]) =>
      load(CONNECTIONS, { count: orders }, async () => {
        const n = placed++;
        const body = JSON.stringify({ product_code: PRODUCT, user_id: `7${String(n).padStart(8, '0')}1`, trx_id: `scale-${n}` });
        const res = await targets[n % targets.length]!.request({ method: 'POST', path: '/v2/order', headers: { authorization: apiKey, 'content-type': 'application/json' }, body });
        const text = await res.body.text();
        if (res.statusCode !== 201) throw new Error(`order refused: ${res.statusCode} ${text}`);
      });
    const one = await intake([pools[0]!]);
    const two = await intake(pools);
    return { one, two };
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(procs.map(stop));
  }
}
