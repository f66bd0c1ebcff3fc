import type { FastifyInstance } from 'fastify';
import { createKios, type Kios, type KiosOptions } from './app.js';
import type { Config } from './config.js';
import { describeDatabaseUrl } from './db/index.js';
import { seedDemoOnFirstStart, type DemoSeed } from './demo/seed.js';
import { buildHttpServer } from './http/server.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';
import type { Periodic } from './worker/periodic.js';
import { WorkerThread } from './worker/thread.js';
import type { Worker } from './worker/worker.js';

export type Role = 'all' | 'api' | 'worker';

export interface Running {
  kios: Kios;
  http: FastifyInstance | null;
  worker: Worker | null;
  /** The address the API listens on, when this process runs the api role. */
  url: string | null;
  /** The metrics server's address (`GET ${metricsUrl}/metrics`), when METRICS_PORT is set. */
  metricsUrl: string | null;
  demo: DemoSeed | null;
  stop(): Promise<void>;
}

/**
 * Starts one process of kios: the API, the worker, or both (the default). On SQLite the worker
 * must run in the same process as the API (one writer); on PostgreSQL any number of each. With
 * both, the worker runs in a thread of its own (WORKER_THREAD, ./worker/thread.ts) unless the
 * caller passes test hooks (`opts`), which only reach a worker on this thread.
 */
export async function serve(config: Config, role: Role, opts: KiosOptions = {}): Promise<Running> {
  const kios = await createKios(config, opts);
  let http: FastifyInstance | null = null;
  let worker: Worker | null = null;
  let thread: WorkerThread | null = null;
  let periodic: Periodic | null = null;
  let metrics: MetricsServer | null = null;
  try {
    // First, so a port clash stops the process before it takes any work.
    if (config.metricsPort !== undefined) metrics = await startMetricsServer(kios.metrics, { port: config.metricsPort, host: config.metricsHost, log: kios.log });
    const demo = await seedDemoOnFirstStart(kios);
    if (role === 'all' && config.workerThread && Object.keys(opts).length === 0) {
      thread = await WorkerThread.start(config, kios.log, (err) => {
        // Orders would be taken and never fulfilled: stop, for a supervisor to restart.
        kios.log.fatal({ err }, 'the worker thread died: exiting');
        process.exit(1);
      });
      const t = thread;
      kios.signal.attachRemote(() => t.wake());
      kios.metrics.addSource(() => t.metrics());
    } else if (role !== 'api') {
      // A single-writer database has no other worker alive: resume a killed process's jobs now.
      if (kios.db.singleWriter) await kios.queue.releaseAllLeases(kios.clock());
      worker = kios.createWorker();
      worker.start();
      await kios.notifier?.listen();
      periodic = kios.createPeriodic();
      periodic.start();
    }
    let url: string | null = null;
    if (role !== 'worker') {
      http = buildHttpServer(kios);
      url = await http.listen({ port: config.port, host: config.host });
    }
    kios.log.info({ role, url, metrics: metrics?.url, database: describeDatabaseUrl(config.databaseUrl), worker: worker?.id ?? (thread ? 'thread' : undefined) }, 'kios started');
    let stopping: Promise<void> | null = null;
    return {
      kios,
      http,
      worker,
      url,
      metricsUrl: metrics?.url ?? null,
      demo,
      stop() {
        stopping ??= (async () => {
          await metrics?.close();
          await http?.close();
          await periodic?.stop();
          await worker?.stop();
          await thread?.stop();
          await kios.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await metrics?.close();
    await http?.close();
    await periodic?.stop();
    await worker?.stop();
    await thread?.stop();
    await kios.close();
    throw err;
  }
}
