import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TestDatabase } from '../helpers/databases.js';
import { TEST_ENV } from '../helpers/kios.js';

/**
 * Runs the real `kios` command (bin/kios.js -> dist, built by `npm run build`) as a child
 * process, the way an operator does. Every child is tracked so a suite can kill what is left.
 */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin', 'kios.js');

export type Env = Record<string, string | undefined>;

/** Every variable src/config.ts reads: removed from the inherited environment. */
const CONFIG_VARS = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATA_DIR',
  'INVOICE_PREFIX',
  'CALLBACK_ALLOW_PRIVATE',
  'CALLBACK_TIMEOUT_MS',
  'CALLBACK_RETRY_SCHEDULE',
  'TRUST_PROXY',
  'KIOS_SECRET_KEY',
  'LOG_LEVEL',
  'BODY_LIMIT',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_MS',
  'WORKER_CONCURRENCY',
  'WORKER_POLL_MS',
  'JOB_LEASE_MS',
  'SUPPLIER_RECHECK_SCHEDULE',
  'SUPPLIER_TIMEOUT_MS',
  'SIMULATOR_LATENCY_MS',
  'SIMULATOR_PENDING_MS',
  'SEED_DEMO',
  'OPERATOR_ALERT_URL',
  'CATALOG_SYNC_INTERVAL_MIN',
  'SUPPLIER_BALANCE_INTERVAL_MIN',
  'METRICS_PORT',
  'METRICS_HOST',
  'PG_NOTIFY',
  'REDIS_URL',
  'REDIS_PREFIX',
  'AUTH_FAILURE_LIMIT',
  'TZ',
  'DEPOSIT_MIN',
  'DEPOSIT_MAX',
  'DEPOSIT_TICKET_TTL_MIN',
];

/** The test process's environment without any kios setting. */
export function bareEnv(extra: Env = {}): Env {
  const env: Env = { ...process.env };
  for (const k of CONFIG_VARS) delete env[k];
  return { ...env, ...extra };
}

/** The environment of a CLI command against one test database. */
export function cliEnv(db: TestDatabase, extra: Env = {}): Env {
  return bareEnv({ DATABASE_URL: db.url, DATA_DIR: db.dataDir, KIOS_SECRET_KEY: TEST_ENV.KIOS_SECRET_KEY, LOG_LEVEL: 'warn', ...extra });
}

/** Settings for `kios serve` children: quick simulator and worker, any free port. */
export function serveEnv(db: TestDatabase, extra: Env = {}): Env {
  return cliEnv(db, {
    PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    SIMULATOR_LATENCY_MS: TEST_ENV.SIMULATOR_LATENCY_MS,
    SIMULATOR_PENDING_MS: TEST_ENV.SIMULATOR_PENDING_MS,
    SUPPLIER_RECHECK_SCHEDULE: TEST_ENV.SUPPLIER_RECHECK_SCHEDULE,
    WORKER_POLL_MS: '50',
    SUPPLIER_BALANCE_INTERVAL_MIN: '0',
    AUTH_FAILURE_LIMIT: TEST_ENV.AUTH_FAILURE_LIMIT!,
    ...extra,
  });
}

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Runs `kios <args>` to completion (killed after `timeoutMs`). */
export function kios(env: Env, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ args, code, signal, stdout, stderr });
    });
  });
}

function describeRun(r: CliResult): string {
  return `kios ${r.args.join(' ')} -> code ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** A stack frame (`    at fn (file:1:2)`) or a source location anywhere in the output. */
const STACK = /^\s+at\s|\.(?:js|ts|mjs|cjs):\d+:\d+/m;

export function expectNoStack(r: CliResult): void {
  expect(STACK.test(r.stdout), describeRun(r)).toBe(false);
  expect(STACK.test(r.stderr), describeRun(r)).toBe(false);
}

/** Exit 0; returns stdout. */
export function ok(r: CliResult): string {
  expect(r.code, describeRun(r)).toBe(0);
  expectNoStack(r);
  return r.stdout;
}

/** Exit 0 with JSON on stdout; returns it parsed. */
export function okJson<T = any>(r: CliResult): T {
  return JSON.parse(ok(r)) as T;
}

/** A refusal: exit 1, the reason on stderr, nothing on stdout, no stack trace. */
export function expectRefused(r: CliResult, reason: RegExp): void {
  expect(r.code, describeRun(r)).toBe(1);
  expect(r.stderr, describeRun(r)).toMatch(reason);
  expect(r.stdout, describeRun(r)).toBe('');
  expectNoStack(r);
}

/** A long-running `kios serve` child. */
export class Served {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolvePromise) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolvePromise(this.#exit);
      });
    });
  }

  static start(env: Env, args: string[], opts: { cwd?: string } = {}): Served {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    return new Served(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for stdout to match `re` (fails at once if the process exits first). */
  async waitFor(re: RegExp, timeoutMs = 45_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stdout.match(re);
      if (m) return m;
      if (this.#exit) throw new Error(`kios exited (${JSON.stringify(this.#exit)}) before printing ${re}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`kios did not print ${re}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The API address, once the process is listening. */
  async url(): Promise<string> {
    return (await this.waitFor(/kios is listening on (http:\/\/\S+)/))[1]!;
  }

  /** SIGTERM (a graceful shutdown), SIGKILL if it does not end in time; returns how it ended. */
  async stop(graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.#exit) return this.#exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kills every child still running (afterAll). */
export async function killAll(): Promise<void> {
  const waits = [...live].map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePromise(port));
    });
  });
}

export interface ApiResult<T = any> {
  status: number;
  json: T;
}

/** One call of the reseller API. */
export async function api<T = any>(base: string, path: string, key: string | undefined, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json: json as T };
}
