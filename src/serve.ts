import type { FastifyInstance } from 'fastify';
import { createKios, type Kios, type KiosOptions } from './app.js';
import type { Config } from './config.js';
import { describeDatabaseUrl } from './db/index.js';
import { seedDemoOnFirstStart, type DemoSeed } from './demo/seed.js';
import { buildHttpServer } from './http/server.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';
import type { Periodic } from './worker/periodic.js';
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
 * must run in the same process as the API (one writer); on PostgreSQL any number of each.
 */
export async function serve(config: Config, role: Role, opts: KiosOptions = {}): Promise<Running> {
  const kios = await createKios(config, opts);
  let http: FastifyInstance | null = null;
  let worker: Worker | null = null;
  let periodic: Periodic | null = null;
  let metrics: MetricsServer | null = null;
  try {
    // First, so a port clash stops the process before it takes any work.
    if (config.metricsPort !== undefined) metrics = await startMetricsServer(kios.metrics, { port: config.metricsPort, host: config.metricsHost, log: kios.log });
    const demo = await seedDemoOnFirstStart(kios);
    if (role !== 'api') {
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
    kios.log.info({ role, url, metrics: metrics?.url, database: describeDatabaseUrl(config.databaseUrl), worker: worker?.id }, 'kios started');
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
    await kios.close();
    throw err;
  }
}
