import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { SimulatorConnector } from '../../src/connectors/simulator/index.js';
import type { Database } from '../../src/db/schema.js';
import { LoopbackServer } from './loopback-server.js';
import { eventually } from './wait.js';

/**
 * Helpers for the pipeline suites (test/pipeline): reading what the worker did (jobs, callback
 * attempts, order events, ledger legs, the simulator's journal), a redirecting receiver, and a
 * real `kios serve` child process that can be SIGKILLed.
 */

/** The simulator journals every purchase call here (`simulator.ts`, supplier id `simulator`). */
export function journalPath(dataDir: string, supplierId = 'simulator'): string {
  return join(dataDir, `simulator-${supplierId}.jsonl`);
}

/** Purchase calls per order id, as the simulator's journal records them. */
export function purchaseCalls(dataDir: string): Map<string, number> {
  return SimulatorConnector.purchaseCalls(journalPath(dataDir));
}

/** The verification snippet published for resellers, exactly as written (RULINGS, "Callbacks (JSON)"). */
export function publishedSignature(data: unknown, apikey: string): string {
  return createHmac('sha256', apikey).update(JSON.stringify(data)).digest('hex');
}

export const CALLBACK_FIELDS = ['invoice_number', 'trx_id', 'response_note', 'category', 'product', 'user_input', 'balance', 'amount', 'status', 'voucher', 'created_at'];

export function jobsOf(k: Kysely<Database>, orderId: string, kind: 'fulfil' | 'callback') {
  return k.selectFrom('jobs').selectAll().where('order_id', '=', orderId).where('kind', '=', kind).orderBy('created_at').execute();
}

export function attemptsOf(k: Kysely<Database>, jobId: string) {
  return k.selectFrom('callback_attempts').selectAll().where('job_id', '=', jobId).orderBy('seq').execute();
}

/** The order's purchase attempts at suppliers, in order. */
export function supplierAttemptsOf(k: Kysely<Database>, orderId: string) {
  return k.selectFrom('order_attempts').selectAll().where('order_id', '=', orderId).orderBy('n').execute();
}

export function ledgerOf(k: Kysely<Database>, orderId: string) {
  return k.selectFrom('ledger_entries').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
}

export async function eventsOf(k: Kysely<Database>, orderId: string, type?: string) {
  let q = k.selectFrom('order_events').selectAll().where('order_id', '=', orderId);
  if (type) q = q.where('type', '=', type);
  const rows = await q.orderBy('seq').execute();
  return rows.map((r) => ({ type: r.type, data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>) }));
}

/** Waits until the order's callback job has left `queued` (delivered: done; given up: dead). */
export async function settledCallbackJob(k: Kysely<Database>, orderId: string, timeoutMs = 15_000) {
  return eventually(async () => {
    const jobs = await jobsOf(k, orderId, 'callback');
    const job = jobs[0];
    if (!job || job.status === 'queued') throw new Error(`callback job of ${orderId} is ${job?.status ?? 'missing'}`);
    return job;
  }, timeoutMs);
}

/** A receiver that answers every request with a redirect to `location`, counting requests. */
export class RedirectServer extends LoopbackServer {
  received = 0;

  static async start(location: string, status = 302): Promise<RedirectServer> {
    let self: RedirectServer | null = null;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        self!.received++;
        res.writeHead(status, { location }).end();
      });
    });
    self = new RedirectServer(server);
    await LoopbackServer.listening(server);
    return self;
  }

}

/** A receiver answering the n-th request (0-based) as `script(n)` says: status, and a delay before answering. */
export class ScriptedReceiver extends LoopbackServer {
  readonly received: { url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  static async start(script: (n: number) => { status?: number; delayMs?: number }): Promise<ScriptedReceiver> {
    let self: ScriptedReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = self!.received.length;
        self!.received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const { status = 200, delayMs = 0 } = script(n);
        const t = setTimeout(() => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
        }, delayMs);
        res.on('close', () => clearTimeout(t));
      });
    });
    self = new ScriptedReceiver(server);
    await LoopbackServer.listening(server);
    return self;
  }

}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** `node bin/kios.js serve` as a real child process, so a test can SIGKILL it mid-flight. */
export class KiosProcess {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  constructor(
    private readonly cwd: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://${this.env.HOST ?? '127.0.0.1'}:${this.env.PORT}`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and waits until its HTTP port answers `/healthz`. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('already running');
    const child = spawn(process.execPath, ['bin/kios.js', 'serve'], { cwd: this.cwd, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (b: Buffer) => {
      this.output.push(b.toString('utf8'));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await eventually(async () => {
      if (!this.running) throw new Error(`kios serve exited early:\n${this.output.join('')}`);
      const res = await fetch(`${this.url}/healthz`);
      if (res.status !== 200) throw new Error(`healthz ${res.status}`);
      await res.text();
    }, timeoutMs, 50);
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is cut wherever it is. */
  async kill(): Promise<void> {
    const pid = this.#child?.pid;
    if (pid !== undefined && this.running) process.kill(pid, 'SIGKILL');
    await this.#exited;
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const pid = this.#child?.pid;
    if (pid === undefined || !this.running) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) process.kill(pid, 'SIGKILL');
    }, graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
