import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { DEMO_CATALOG } from '../src/demo/demo-catalog.js';
import { RoutePicker } from '../src/orders/routing.js';
import { serve } from '../src/serve.js';
import { orderPlan } from './api.js';
import { kiosEnv, type BenchDatabase } from './databases.js';
import { load } from './load.js';

/**
 * The fulfilment pipeline end to end: orders placed through the reseller API (intake), then a
 * worker buys each one from its supplier and the order turns final. The supplier is either the
 * built-in simulator or a Digiflazz fake on loopback answering at once (and calling back, as the
 * real one does), so the difference between the two is what a real connector costs: HTTP out,
 * signing, mapping, the callback in. The fake runs in a process of its own, as a supplier is
 * another machine: its work is not counted against kios's event loop.
 */

export type Supplier = 'simulator' | 'digiflazz';

export interface PipelineFigures {
  /** Orders accepted per second through `POST /v2/order` (worker stopped). */
  intake: number;
  /** Orders turned final per second once the worker starts on the backlog. */
  final: number;
  /** Route lookups per second at the worker's concurrency, on the same database. */
  routeLookups: number;
}

const PRODUCT = 'FF70';
const CLIENTS = 32;

export async function pipeline(db: BenchDatabase, supplier: Supplier, orders: number): Promise<PipelineFigures> {
  const config = loadConfig(kiosEnv(db));
  const running = await serve(config, 'api');
  const fake = supplier === 'digiflazz' ? await startFake(`${running.url}/suppliers/digi/callback`) : null;
  try {
    const { kios } = running;
    await kios.catalog.import(DEMO_CATALOG);
    if (fake) {
      await kios.suppliers.add('digiflazz', 'digi', fake.config);
      await kios.routes.remove(PRODUCT, 'simulator');
      await kios.routes.add(PRODUCT, 'digi', PRODUCT, { cost: 9_000 });
    }
    const { apiKey } = await kios.resellers.create({ name: 'Bench', email: 'bench@example.com', role: 'platinum', balance: 1_000_000_000_000 });

    // Destinations ending in 1: delivered at once by the simulator and the fake alike.
    const intake = (await load(CLIENTS, { count: orders }, orderPlan([running.url!], [apiKey], 'bench'))).rate;

    const k = kios.db.kysely;
    const worker = kios.createWorker();
    const t1 = performance.now();
    worker.start();
    for (;;) {
      const row = await k.selectFrom('orders').select((e) => e.fn.countAll<number | string>().as('n')).where('status', '=', 'PENDING').executeTakeFirstOrThrow();
      if (Number(row.n) === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const final = orders / ((performance.now() - t1) / 1000);
    await worker.stop();

    const done = await k.selectFrom('orders').select((e) => e.fn.countAll<number | string>().as('n')).where('status', '=', 'SUCCESS').executeTakeFirstOrThrow();
    if (Number(done.n) !== orders) throw new Error(`only ${done.n} of ${orders} orders succeeded: the run measured something else`);
    const bought = await k.selectFrom('order_attempts').select((e) => e.fn.countAll<number | string>().as('n')).where('state', '=', 'success').where('supplier_id', '=', fake ? 'digi' : 'simulator').executeTakeFirstOrThrow();
    if (Number(bought.n) !== orders) throw new Error(`${bought.n} of ${orders} orders were bought from the ${supplier}`);

    const product = await k.selectFrom('products').select('id').where('code', '=', PRODUCT).executeTakeFirstOrThrow();
    const routes = new RoutePicker(k);
    const routeLookups = await rate(config.workerConcurrency, 1_000, () => routes.next(product.id, []));
    return { intake, final, routeLookups };
  } finally {
    await running.stop();
    fake?.child.kill();
  }
}

/** `npm run fake-supplier -- digiflazz` in a child process; resolves with the configuration it prints. */
async function startFake(callbackUrl: string): Promise<{ child: ChildProcess; config: Record<string, unknown> }> {
  const cli = fileURLToPath(new URL('../test/fakes/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'digiflazz', '--quiet', '--price', '1', '--callback-url', callbackUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  for await (const chunk of child.stdout!) {
    out += chunk as string;
    const config = /--config '(\{.*\})'/.exec(out);
    if (config) return { child, config: JSON.parse(config[1]!) as Record<string, unknown> };
  }
  await once(child, 'exit');
  throw new Error(`the fake Digiflazz did not start: ${out}`);
}

/** Calls per second of `fn` from `parallel` loops over `ms` milliseconds. */
export async function rate(parallel: number, ms: number, fn: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < until) {
        await fn();
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - t0) / 1000);
}
