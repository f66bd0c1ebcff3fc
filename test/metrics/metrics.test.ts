import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { serve, type Running } from '../../src/serve.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TestKios, TEST_ENV } from '../helpers/kios.js';
import { settledCallbackJob } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { cliEnv, kios as runCli } from '../cli/harness.js';

/**
 * GET /metrics (README, "Metrics"): off unless METRICS_PORT is set, served on a port of its own,
 * and every value below is exact, from orders whose outcome the simulator's user ids decide.
 */

const ML5 = { code: 'S1_1187', server_id: '1234' };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as far as kios uses it (no timestamps, no exemplars). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The one sample of `name` with exactly these labels; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const keys = Object.keys(labels);
  const hits = samples.filter((s) => s.name === name && Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === labels[k]));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

async function scrape(metricsUrl: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parse(text) };
}

function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

describe.each(DIALECTS)('metrics (%s)', (dialect) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function start(env: Record<string, string> = {}): Promise<TestKios> {
    const t = await TestKios.start(dialect, env);
    cleanup.push(() => t.close());
    return t;
  }

  it('is off without METRICS_PORT: no metrics server, one listening socket (the API), no /metrics on the API', async () => {
    // Servers of earlier tests release their sockets a moment after close() resolves; this file
    // runs in a process of its own, so once they are gone nothing else listens.
    await eventually(() => expect(listeningServers()).toBe(0));
    const t = await start();
    expect(t.running.metricsUrl).toBeNull();
    expect(listeningServers()).toBe(1);
    const res = await t.request('GET', '/metrics');
    expect(res.status).toBe(404);

    // The same start with METRICS_PORT opens exactly one more.
    const on = await start({ METRICS_PORT: '0' });
    expect(on.running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listeningServers()).toBe(3);
    expect((await fetch(`${on.running.metricsUrl}/other`)).status).toBe(404);
  });

  it('counts requests by route, orders by status, supplier calls by outcome and callbacks, with no key or invoice in the text', async () => {
    const t = await start({ METRICS_PORT: '0' });
    const sink = await CallbackSink.start();
    cleanup.push(() => sink.close());
    const r = await t.reseller({ balance: 1_000_000 });

    // user ids: ...999 fails, ...777 is half delivered, ...333 times out once and then succeeds
    // on its status check, anything else succeeds (src/connectors/simulator).
    const users = ['123456789', '123456781', '123456333', '444444999', '444445999', '123456777'];
    const invoices: string[] = [];
    for (const [i, user_id] of users.entries()) {
      const res = await t.order(r.apiKey, { product_code: ML5.code, server_id: ML5.server_id, user_id, trx_id: `metrics-${i}`, callback_url: `${sink.url}/cb` }, 'v2');
      expect(res.status, res.text).toBe(201);
      invoices.push(res.json.data.invoice_number);
    }
    const orders = await Promise.all(invoices.map((inv) => t.settle(inv)));
    expect(orders.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'FAILED', 'FAILED', 'PARTIAL_SUCCESS']);
    for (const o of orders) expect((await settledCallbackJob(t.kios.db.kysely, o.id)).status).toBe('done');

    // Requests whose URLs carry a key or an invoice number, and one no route matches.
    expect((await t.request('GET', `/v1/status/${invoices[0]}`, { key: r.apiKey })).status).toBe(200);
    expect((await t.request('GET', `/v1/otomax/user?apikey=${encodeURIComponent(r.apiKey)}`)).status).toBe(200);
    expect((await t.request('GET', `/v1/nothing/${invoices[1]}?key=${encodeURIComponent(r.apiKey)}`)).status).toBe(404);

    const { text, samples } = await scrape(t.running.metricsUrl!);

    expect(value(samples, 'kios_http_requests_total', { route: '/v2/order', method: 'POST', status: '201' })).toBe(users.length);
    expect(value(samples, 'kios_http_request_duration_seconds_count', { route: '/v2/order', method: 'POST', status: '201' })).toBe(users.length);
    expect(value(samples, 'kios_http_request_duration_seconds_bucket', { route: '/v2/order', method: 'POST', status: '201', le: '+Inf' })).toBe(users.length);
    expect(value(samples, 'kios_http_requests_total', { route: '/v1/status/:invoice_number', method: 'GET', status: '200' })).toBe(1);
    expect(value(samples, 'kios_http_requests_total', { route: '/v1/otomax/user', method: 'GET', status: '200' })).toBe(1);
    expect(value(samples, 'kios_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    const routes = new Set(samples.filter((s) => s.name === 'kios_http_requests_total').map((s) => s.labels.route));
    expect(routes).toEqual(new Set(['/v2/order', '/v1/status/:invoice_number', '/v1/otomax/user', 'unmatched']));

    expect(value(samples, 'kios_orders', { status: 'SUCCESS' })).toBe(3);
    expect(value(samples, 'kios_orders', { status: 'FAILED' })).toBe(2);
    expect(value(samples, 'kios_orders', { status: 'PARTIAL_SUCCESS' })).toBe(1);
    expect(value(samples, 'kios_orders', { status: 'PENDING' })).toBe(0);
    expect(value(samples, 'kios_orders', { status: 'REFUNDED' })).toBe(0);

    // Each call once: the ...333 order's purchase (an error) and its status check (success).
    const calls = samples.filter((s) => s.name === 'kios_supplier_calls_total');
    expect(Object.fromEntries(calls.map((s) => [`${s.labels.supplier}/${s.labels.outcome}`, s.value]))).toEqual({
      'simulator/success': 3,
      'simulator/failed': 2,
      'simulator/partial': 1,
      'simulator/error': 1,
    });

    expect(value(samples, 'kios_callback_attempts_total', { outcome: 'delivered' })).toBe(users.length);
    expect(value(samples, 'kios_callback_attempts_total', { outcome: 'failed' })).toBeUndefined();

    expect(value(samples, 'kios_jobs_queued', { kind: 'fulfil' })).toBe(0);
    expect(value(samples, 'kios_jobs_queued', { kind: 'callback' })).toBe(0);
    expect(value(samples, 'kios_job_oldest_queued_age_seconds', { kind: 'fulfil' })).toBe(0);
    expect(value(samples, 'kios_job_oldest_queued_age_seconds', { kind: 'callback' })).toBe(0);

    // Process metrics come with it.
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

    expect(text).not.toContain(r.apiKey);
    expect(text).not.toContain(encodeURIComponent(r.apiKey));
    for (const inv of invoices) expect(text).not.toContain(inv);
    for (const o of orders) expect(text).not.toContain(o.id);
  });

  it('api and worker roles each serve their own: the queue no worker took (depth, oldest due age), then what the worker did', async () => {
    const db: TestDatabase = await freshDatabase(dialect);
    cleanup.push(() => db.drop());
    let now = Date.UTC(2030, 0, 1);
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, DATA_DIR: db.dataDir, METRICS_PORT: '0' });
    const running: Running = await serve(config, 'api', { clock: () => now });
    cleanup.push(() => running.stop());
    expect(running.worker).toBeNull();
    await running.kios.catalog.import(DEMO_CATALOG);
    const { apiKey } = await running.kios.resellers.create({ name: 'Q', email: 'q@example.com', role: 'platinum', balance: 100_000 });

    const place = (user_id: string) =>
      fetch(`${running.url}/v2/order`, { method: 'POST', headers: { authorization: apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ product_code: ML5.code, server_id: ML5.server_id, user_id }) });
    expect((await place('123456789')).status).toBe(201);
    now += 30_000;
    expect((await place('123456781')).status).toBe(201);
    now += 60_000;

    const { samples } = await scrape(running.metricsUrl!);
    expect(value(samples, 'kios_orders', { status: 'PENDING' })).toBe(2);
    expect(value(samples, 'kios_jobs_queued', { kind: 'fulfil' })).toBe(2);
    expect(value(samples, 'kios_job_oldest_queued_age_seconds', { kind: 'fulfil' })).toBe(90);
    expect(value(samples, 'kios_jobs_queued', { kind: 'callback' })).toBe(0);
    expect(value(samples, 'kios_supplier_calls_total', { supplier: 'simulator', outcome: 'success' })).toBeUndefined();

    const worker: Running = await serve(config, 'worker', { clock: () => now });
    cleanup.push(() => worker.stop());
    expect(worker.url).toBeNull();
    expect(worker.metricsUrl).not.toBe(running.metricsUrl);
    // A job is completed just after the order it fulfils turns final: wait for both.
    const done = await eventually(async () => {
      const w = await scrape(worker.metricsUrl!);
      expect(value(w.samples, 'kios_orders', { status: 'SUCCESS' })).toBe(2);
      expect(value(w.samples, 'kios_jobs_queued', { kind: 'fulfil' })).toBe(0);
      return w.samples;
    });
    expect(value(done, 'kios_supplier_calls_total', { supplier: 'simulator', outcome: 'success' })).toBe(2);
    expect(value(done, 'kios_job_oldest_queued_age_seconds', { kind: 'fulfil' })).toBe(0);
    expect(done.some((s) => s.name.startsWith('kios_http_'))).toBe(false);

    // Counters are the process's own; the database gauges are the same everywhere.
    const api = (await scrape(running.metricsUrl!)).samples;
    expect(value(api, 'kios_supplier_calls_total', { supplier: 'simulator', outcome: 'success' })).toBeUndefined();
    expect(value(api, 'kios_orders', { status: 'SUCCESS' })).toBe(2);
    expect(value(api, 'kios_http_requests_total', { route: '/v2/order', method: 'POST', status: '201' })).toBe(2);
  });

  it('reports the outcome of the last `kios ledger verify`, and nothing before one ran', async () => {
    const t = await start({ METRICS_PORT: '0' });
    const r = await t.reseller({ balance: 50_000 });
    const res = await t.order(r.apiKey, { product_code: ML5.code, server_id: ML5.server_id, user_id: '123456789' }, 'v2');
    expect(res.status, res.text).toBe(201);
    await t.settle(res.json.data.invoice_number);

    let { samples } = await scrape(t.running.metricsUrl!);
    expect(samples.some((s) => s.name.startsWith('kios_ledger_verify'))).toBe(false);

    const before = Date.now();
    const good = await runCli(cliEnv(t.db), ['ledger', 'verify', '--json']);
    const after = Date.now();
    expect(good.code, good.stderr).toBe(0);
    ({ samples } = await scrape(t.running.metricsUrl!));
    expect(value(samples, 'kios_ledger_verify_ok')).toBe(1);
    const at = value(samples, 'kios_ledger_verify_timestamp_seconds')!;
    expect(at * 1000).toBeGreaterThanOrEqual(before);
    expect(at * 1000).toBeLessThanOrEqual(after);

    // A balance that no longer equals its entries: the next verify fails, and the gauge says so.
    await t.kios.db.kysely.updateTable('resellers').set({ balance: 1 }).where('id', '=', r.id).execute();
    const bad = await runCli(cliEnv(t.db), ['ledger', 'verify', '--json']);
    expect(bad.code, bad.stderr).toBe(2);
    ({ samples } = await scrape(t.running.metricsUrl!));
    expect(value(samples, 'kios_ledger_verify_ok')).toBe(0);
    expect(value(samples, 'kios_ledger_verify_timestamp_seconds')).toBeGreaterThanOrEqual(at);
  });
});
