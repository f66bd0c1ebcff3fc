import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publicOnlyLookup } from '../../src/callbacks/safe-dispatcher.js';
import type { Order } from '../../src/db/schema.js';
import { CallbackSink, type ReceivedRequest } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';
import { AWKWARD_CATALOG, AWKWARD_NICKNAME, WITH_SCRIPTED, expectReadmeParse, expectTextLine, expected, newTrx, otomaxGet } from './support.js';

/**
 * Otomax reports (RULINGS section 2): when an order placed on this channel reaches a final status,
 * `GET {callback_url}?invoice_number=&trx_id=&status=&sn=&msg=&serverid=&clientid=&statuscode=`,
 * every value percent-encoded, with the JSON callbacks' delivery rules (at least once, retry
 * schedule, every attempt recorded, SSRF guard). The callback_url falls back to the webhook.
 */
const PARAM_ORDER = ['invoice_number', 'trx_id', 'status', 'sn', 'msg', 'serverid', 'clientid', 'statuscode'];

/**
 * Checks a report against the order (read back) and the balance after the event, decoding it
 * with the standard decoder. `prefix` is the report URL's own query, which comes first.
 */
function expectReport(req: ReceivedRequest, base: string, o: Order, balance: number, statuscode: '1' | '2', path = '/report', prefix = '') {
  expect(req.method).toBe('GET');
  expect(req.body).toBe('');
  const url = new URL(req.url, base);
  expect(url.pathname).toBe(path);
  const full = url.search.slice(1);
  expect(full.startsWith(prefix)).toBe(true);
  const raw = full.slice(prefix.length);
  const params = new URLSearchParams(raw);
  // Nothing a receiver could misread: no raw `#` (fragment), space, or `+` (a space to form decoders).
  expect(raw).not.toMatch(/[# +]/);
  expect([...params.keys()]).toEqual(PARAM_ORDER);
  const msg = expected.status(o, balance);
  expect(Object.fromEntries(params)).toEqual({
    invoice_number: o.invoice_number,
    trx_id: o.trx_id,
    status: o.status,
    sn: o.response_note,
    msg,
    serverid: o.invoice_number,
    clientid: o.trx_id,
    statuscode,
  });
  return { raw, msg };
}

describe.each(DIALECTS)('Otomax callbacks (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, WITH_SCRIPTED);
    await t.kios.catalog.import(AWKWARD_CATALOG);
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });
  beforeEach(() => {
    sink.received.length = 0;
  });

  async function place(r: Reseller, version: string, params: Record<string, string>): Promise<{ line: string; order: Order }> {
    const trx = newTrx();
    const line = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params, trx_id: trx }));
    expect(line).toContain(', status PENDING. ');
    const order = await t.settle((await t.kios.orders.findByTrx(r.id, trx))!.invoice_number);
    return { line, order };
  }

  it('SUCCESS: the documented parameters, URL-encoded, signed, parsed by the README regexes', async () => {
    const r = await t.reseller({ balance: 100_000 });
    // A report URL with its own query and a fragment: kept, and the fragment dropped.
    const { order } = await place(r, 'v3', { product_code: 'S1_1187', user_id: '1234567891234', callback_url: `${sink.url}/report?key=abc#frag` });
    expect(order.status).toBe('SUCCESS');
    const [req] = await sink.waitFor(1);
    const url = new URL(req!.url, sink.url);
    expect(url.searchParams.get('key')).toBe('abc');
    const balance = await t.balance(r.id);
    expect(balance).toBe(100_000 - 1511);
    // The report's own parameters follow the receiver's.
    const { msg } = expectReport(req!, sink.url, order, balance, '1', '/report', 'key=abc&');
    expect(url.searchParams.get('msg')).toBe(msg);
    expect(msg).toMatch(/^R#\d+ KIOS_ML_\d+_\d{4} S1_1187\.123456789\(1234\), status SUCCESS\. Player_6789 - 123456789\(1234\) \. RefId: \S+ \. Sisa saldo 98489$/);
    // x-signature: HMAC-SHA256 of the raw query, keyed with the API key.
    expect(req!.headers['x-signature']).toBe(createHmac('sha256', r.apiKey).update(url.search.slice(1)).digest('hex'));
    expect(req!.headers['webhook-id']).toMatch(/\S/);
    expectReadmeParse(msg, { status: 'SUCCESS', invoice: order.invoice_number, sn: order.ref, balance, error: null });
  });

  it('a nickname with # & + % = ( ) and spaces survives the round trip exactly', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const { order } = await place(r, 'v2', { product_code: 'AWK1', user_id: '5551234', callback_url: `${sink.url}/report` });
    expect(order.nickname).toBe(AWKWARD_NICKNAME);
    const [req] = await sink.waitFor(1);
    const balance = await t.balance(r.id);
    const { raw, msg } = expectReport(req!, sink.url, order, balance, '1');
    expect(msg).toContain(`status SUCCESS. ${AWKWARD_NICKNAME} - 5551234 . RefId: `);
    expect(decodeURIComponent(raw.split('&').find((kv) => kv.startsWith('msg='))!.slice(4))).toBe(msg);
    expectReadmeParse(msg, { status: 'SUCCESS', invoice: order.invoice_number, sn: order.ref, balance, error: null });
  });

  it('FAILED: statuscode 2, the reason in sn and msg, the balance after the refund', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const { order } = await place(r, 'v1', { product_code: 'S1_1187', user_id: '123456999', server_id: '1234', callback_url: `${sink.url}/report` });
    expect(order.status).toBe('FAILED');
    const [req] = await sink.waitFor(1);
    expect(await t.balance(r.id)).toBe(50_000);
    const { msg } = expectReport(req!, sink.url, order, 50_000, '2');
    expect(order.response_note).toContain(order.failure_reason!);
    expectReadmeParse(msg, { status: 'FAILED', invoice: order.invoice_number, sn: order.ref, balance: 50_000, error: null });
  });

  it('PARTIAL_SUCCESS: statuscode 1, the balance after the partial refund', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const { order } = await place(r, 'v3', { product_code: 'FF70', user_id: '123456777', callback_url: `${sink.url}/report` });
    expect(order.status).toBe('PARTIAL_SUCCESS');
    const [req] = await sink.waitFor(1);
    const balance = await t.balance(r.id);
    expect(balance).toBe(50_000 - order.amount + order.refunded_amount);
    expect(order.refunded_amount).toBeGreaterThan(0);
    const { msg } = expectReport(req!, sink.url, order, balance, '1');
    expectReadmeParse(msg, { status: 'PARTIAL_SUCCESS', invoice: order.invoice_number, sn: order.ref, balance, error: null });
  });

  it('SUCCESS then REFUNDED: a second report, statuscode 2', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const { order } = await place(r, 'v3', { product_code: 'FF70', user_id: '123456789', callback_url: `${sink.url}/report` });
    const [first] = await sink.waitFor(1);
    expectReport(first!, sink.url, order, 50_000 - order.amount, '1');
    expect(await t.kios.transitions.finalise(order.id, { status: 'REFUNDED', reason: 'Refund (operator) #1' }, 'operator')).not.toBeNull();
    const refunded = await t.orderRow(order.invoice_number);
    const [, second] = await sink.waitFor(2);
    expect(await t.balance(r.id)).toBe(50_000);
    const { msg } = expectReport(second!, sink.url, refunded, 50_000, '2');
    expect(msg).toContain(' . Refund (operator) #1 . Sisa saldo 50000');
    expectReadmeParse(msg, { status: 'REFUNDED', invoice: order.invoice_number, sn: refunded.ref, balance: 50_000, error: null });
  });

  it("callback_url falls back to the reseller's webhook; neither means no report", async () => {
    const r = await t.reseller({ balance: 50_000 });
    await t.kios.resellers.setWebhook(r.id, `${sink.url}/hook`);
    const { order } = await place(r, 'v3', { product_code: 'FF70', user_id: '123456789' });
    const [req] = await sink.waitFor(1);
    expectReport(req!, sink.url, order, 50_000 - order.amount, '1', '/hook');

    const quiet = await t.reseller({ balance: 50_000 });
    const { order: silent } = await place(quiet, 'v3', { product_code: 'FF70', user_id: '123456789' });
    // The report job is written in the same transaction as the final status: none exists.
    const jobs = await t.kios.db.kysely.selectFrom('jobs').select('id').where('order_id', '=', silent.id).where('kind', '=', 'callback').execute();
    expect(jobs).toEqual([]);
  });

  it('retries until a 2xx, the same report every time, each attempt recorded', async () => {
    const r = await t.reseller({ balance: 50_000 });
    sink.failNext(2, 503);
    const { order } = await place(r, 'v3', { product_code: 'FF70', user_id: '123456789', callback_url: `${sink.url}/report` });
    const received = await sink.waitFor(3);
    expect(received).toHaveLength(3);
    for (const req of received) expectReport(req, sink.url, order, 50_000 - order.amount, '1');
    expect(new Set(received.map((x) => x.url)).size).toBe(1);
    expect(new Set(received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    const attempts = await eventually(async () => {
      const rows = await t.kios.db.kysely
        .selectFrom('callback_attempts as a')
        .innerJoin('jobs as j', 'j.id', 'a.job_id')
        .select(['a.attempt', 'a.outcome', 'a.response_code'])
        .where('j.order_id', '=', order.id)
        .orderBy('a.attempt')
        .execute();
      if (rows.length < 3) throw new Error(`${rows.length} attempts recorded`);
      return rows;
    });
    expect(attempts.map((a) => [a.outcome, a.response_code])).toEqual([
      ['failed', 503],
      ['failed', 503],
      ['delivered', 200],
    ]);
  });
});

describe.each(DIALECTS)('Otomax callbacks, SSRF guard (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    sink = await CallbackSink.start();
    const names: Record<string, string[]> = { 'report.example.test': ['93.184.216.34'], 'intranet.example.test': ['10.1.2.3'] };
    t = await TestKios.start(
      dialect,
      { CALLBACK_ALLOW_PRIVATE: 'false' },
      {
        // Order time: the report host looks public. Connect time: it resolves to loopback (rebinding).
        resolve: async (host) => names[host] ?? [],
        connectLookup: publicOnlyLookup((_host, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }])),
      },
    );
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  it('private report URLs are refused at order time with the error line, nothing charged', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const port = new URL(sink.url).port;
    for (const url of [`${sink.url}/report`, `http://localhost:${port}/report`, `http://[::1]:${port}/report`, `http://intranet.example.test:${port}/report`]) {
      const trx = newTrx();
      const before = await t.snapshot();
      const line = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx, callback_url: url }));
      expect(line, url).toBe(expected.error(trx, 'FF70', '123456789', 'INVALID_CALLBACK_URL', 50_000));
      expect(await t.snapshot()).toEqual(before);
    }
  });

  it('a name that resolves privately when connecting is refused, recorded, never reached', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const trx = newTrx();
    const callback = `http://report.example.test:${new URL(sink.url).port}/report`;
    const line = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx, callback_url: callback }));
    expect(line).toContain(', status PENDING. ');
    const order = await t.settle((await t.kios.orders.findByTrx(r.id, trx))!.invoice_number);
    expect(order.status).toBe('SUCCESS');
    const outcome = await eventually(async () => {
      const row = await t.kios.db.kysely
        .selectFrom('callback_attempts as a')
        .innerJoin('jobs as j', 'j.id', 'a.job_id')
        .select(['a.outcome', 'a.response_code'])
        .where('j.order_id', '=', order.id)
        .orderBy('a.attempt')
        .executeTakeFirst();
      if (!row) throw new Error('no attempt yet');
      return row;
    });
    expect(outcome).toEqual({ outcome: 'refused', response_code: null });
    expect(sink.received).toEqual([]);
  });
});
