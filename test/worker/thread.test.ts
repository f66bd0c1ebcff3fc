import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { builtKios, type BuiltKios } from '../helpers/built-kios.js';
import { DIALECTS } from '../helpers/databases.js';
import { freePort, KiosProcess, publishedSignature } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

/**
 * `kios serve` as operators run it (dist/, API and worker in one process) runs its worker in a
 * thread of its own (WORKER_THREAD, on by default). A burst of concurrent orders through it: the
 * balance pays for exactly the orders it covers, each is fulfilled once and called back, the
 * ledger holds, and the thread's counters reach the process's /metrics. On SQLite the two threads
 * write the same file through one shared write lock.
 */

const ORDERS = 160;
const COVERED = 80;

describe.each(DIALECTS)('kios serve with its worker thread (%s)', (dialect) => {
  let kios: BuiltKios;
  let reader: Db;
  let sink: CallbackSink;
  let proc: KiosProcess;
  let metricsPort: number;
  let apiKey: string;
  let resellerId: string;

  beforeAll(async () => {
    sink = await CallbackSink.start();
    metricsPort = await freePort();
    kios = await builtKios(dialect, { METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' }, async (k) => {
      await k.catalog.import(DEMO_CATALOG);
      const price = (await k.catalog.findForOrder('FF70', 'platinum'))!.price!;
      const created = await k.resellers.create({ name: 'Thread Reseller', email: 'thread@example.com', role: 'platinum', balance: COVERED * price });
      apiKey = created.apiKey;
      resellerId = created.reseller.id;
    });
    ({ reader, proc } = kios);
    await proc.start();
  });

  afterAll(async () => {
    await kios?.close();
    await sink?.close().catch(() => undefined);
  });

  it('runs the worker in its thread', () => {
    expect(proc.output.join('')).toContain('"worker":"thread"');
  });

  it('a burst the balance half covers: exactly the covered orders are placed, fulfilled once, called back, and counted', async () => {
    const answers = await Promise.all(
      Array.from({ length: ORDERS }, async (_, i) => {
        const body = { product_code: 'FF70', user_id: `7${String(i).padStart(6, '0')}01`, trx_id: `burst-${i}`, callback_url: `${sink.url}/cb` };
        const res = await fetch(`${proc.url}/v2/order`, { method: 'POST', headers: { authorization: apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as { message: string; data?: { invoice_number: string } } };
      }),
    );
    const placed = answers.filter((a) => a.status === 201);
    expect(placed).toHaveLength(COVERED);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.json.message).toBe('INSUFFICIENT_BALANCE');

    const k = reader.kysely;
    const orders = await eventually(async () => {
      const rows = await k.selectFrom('orders').select(['invoice_number', 'status']).where('reseller_id', '=', resellerId).execute();
      expect(rows.filter((o) => o.status === 'PENDING')).toEqual([]);
      return rows;
    }, 30_000);
    expect(orders).toHaveLength(COVERED);
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['SUCCESS']));
    expect((await k.selectFrom('resellers').select('balance').where('id', '=', resellerId).executeTakeFirstOrThrow()).balance).toBe(0);
    expect(await verifyLedger(k)).toEqual([]);
    // One purchase per order: one attempt each, and no fulfilment job left unfinished.
    expect((await k.selectFrom('order_attempts').select('order_id').execute()).length).toBe(COVERED);

    await eventually(
      () => {
        const seen = new Set<string>();
        for (const req of sink.received) {
          const data = JSON.parse(req.body) as { invoice_number: string; status: string };
          expect(req.headers['x-signature']).toBe(publishedSignature(data, apiKey));
          if (data.status === 'SUCCESS') seen.add(data.invoice_number);
        }
        expect(seen.size).toBe(COVERED);
      },
      30_000,
      50,
    );

    // The thread's supplier calls and callbacks are in the process's metrics, beside the API's requests.
    // A callback is counted once its attempt is recorded, which is after the receiver has answered: wait for it.
    await eventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
        expect(value('kios_supplier_calls_total{supplier="simulator",outcome="success"}')).toBe(COVERED);
        expect(value('kios_callback_attempts_total{outcome="delivered"}')).toBeGreaterThanOrEqual(COVERED);
        expect(value('kios_http_requests_total{route="/v2/order",method="POST",status="201"}')).toBe(COVERED);
        expect(value('kios_orders{status="SUCCESS"}')).toBe(COVERED);
      },
      30_000,
      100,
    );
  });

  it('SIGTERM ends the process, thread included, with nothing left running', async () => {
    await proc.stop();
    expect(proc.running).toBe(false);
    expect(proc.output.join('')).not.toContain('worker thread died');
    const running = await reader.kysely.selectFrom('jobs').select('id').where('locked_by', 'is not', null).where('status', '=', 'queued').execute();
    expect(running).toEqual([]);
  });
});
