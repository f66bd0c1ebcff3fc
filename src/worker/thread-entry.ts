import { parentPort, workerData } from 'node:worker_threads';
import { SharedWriteLock } from '../db/sqlite-group-commit.js';
import { serve, type Running } from '../serve.js';
import type { FromThread, ThreadData, ToThread } from './thread.js';

/** The worker thread of `kios serve` (see ./thread.ts): a worker-role kios, driven by messages. */

const port = parentPort!;
const data = workerData as ThreadData;
const send = (m: FromThread) => port.postMessage(m);

if (data.writeLock) SharedWriteLock.adopt(data.writeLock.file, data.writeLock.buffer);

let running: Running;
try {
  running = await serve(data.config, 'worker');
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'jobs':
      // This thread's worker only: notify() would echo the wake-up to other processes again.
      running.kios.signal.emit('jobs');
      break;
    case 'metrics':
      running.kios.metrics.registry.getMetricsAsJSON().then(
        (metrics) => send({ type: 'metrics', id: m.id, metrics }),
        () => send({ type: 'metrics', id: m.id, metrics: [] }),
      );
      break;
    case 'stop':
      // The thread ends here, whatever handles (keep-alive sockets, timers) are still open.
      void running.stop().finally(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
      break;
  }
});
send({ type: 'ready' });
