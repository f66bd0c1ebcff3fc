import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { DEMO_CATALOG } from '../src/demo/demo-catalog.js';
import { serve } from '../src/serve.js';
import { CONNECTIONS, orderPlan } from './api.js';
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
  try {
    const worker = await child(db, 'worker');
    procs.push(worker.proc);
    const apis = [];
    for (let i = 0; i < 2; i++) {
      const api = await child(db, 'api');
      procs.push(api.proc);
      apis.push(api);
    }
    const urls = apis.map((a) => a.url!);
    const one = await load(CONNECTIONS, { count: orders }, orderPlan([urls[0]!], [apiKey], 'scale'));
    const two = await load(CONNECTIONS, { count: orders }, orderPlan(urls, [apiKey], 'scale', orders));
    return { one, two };
  } finally {
    await Promise.all(procs.map(stop));
  }
}
