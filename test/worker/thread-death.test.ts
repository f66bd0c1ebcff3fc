import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { WorkerThread } from '../../src/worker/thread.js';

/**
 * A worker thread that dies after start-up must not leave `kios serve` taking orders nobody
 * fulfils: the process is told (and exits, src/serve.ts). A thread stopped on purpose is not a death.
 * The thread here runs a stand-in entry that reports ready as the real one does, then fails.
 */

const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', KIOS_SECRET_KEY: 'thread-death-secret-0123456789abcdef', LOG_LEVEL: 'silent' });
const log = pino({ enabled: false });

function entry(then: string) {
  return { file: `const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ type: 'ready' }); ${then}`, eval: true };
}

describe('the worker thread of kios serve', () => {
  it('an uncaught error in the running thread is reported as its death', async () => {
    let died!: (err: Error) => void;
    const death = new Promise<Error>((resolve) => (died = resolve));
    await WorkerThread.start(config, log, died, entry(`setTimeout(() => { throw new Error('boom'); }, 20);`));
    expect((await death).message).toBe('the worker thread exited (code 1)');
  });

  it('a thread that ends on its own, even cleanly, is a death too: nobody asked it to stop', async () => {
    let died!: (err: Error) => void;
    const death = new Promise<Error>((resolve) => (died = resolve));
    await WorkerThread.start(config, log, died, entry(`setTimeout(() => process.exit(0), 20);`));
    expect((await death).message).toBe('the worker thread exited (code 0)');
  });

  it('a thread stopped by the process is not a death', async () => {
    const deaths: Error[] = [];
    const thread = await WorkerThread.start(
      config,
      log,
      (err) => deaths.push(err),
      entry(`parentPort.on('message', (m) => { if (m.type === 'stop') { parentPort.postMessage({ type: 'stopped' }); process.exit(0); } });`),
    );
    await thread.stop();
    await new Promise((r) => setImmediate(r));
    expect(deaths).toEqual([]);
  });

  it('a thread that fails while starting fails the start, with its reason', async () => {
    const start = WorkerThread.start(config, log, () => {}, { file: `require('node:worker_threads').parentPort.postMessage({ type: 'failed', message: 'database unreachable' }); process.exit(1);`, eval: true });
    await expect(start).rejects.toThrow('the worker thread could not start: database unreachable');
  });
});
