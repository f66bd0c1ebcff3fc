import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, TEST_ENV, type Reseller } from '../helpers/kios.js';
import { attemptsOf, CALLBACK_FIELDS, jobsOf, ledgerOf, publishedSignature, RedirectServer, ScriptedReceiver, settledCallbackJob } from '../helpers/pipeline.js';

/**
 * JSON callbacks (RULINGS section 1, "Callbacks (JSON)"): sent on a final status, signed,
 * retried on the schedule with one stable webhook-id, every attempt recorded, and never able to
 * touch an order or its money. TEST_ENV's schedule is 0, 0.2, 0.4, 0.6 s: four attempts.
 */

const ML5 = { code: 'S1_1187', price: 1511 };
const ATTEMPTS = TEST_ENV.CALLBACK_RETRY_SCHEDULE!.split(',').length;

describe.each(DIALECTS)('callbacks (%s)', (dialect) => {
  let t: TestKios;
  let slowKios: TestKios;
  const sinks: CallbackSink[] = [];
  const redirects: RedirectServer[] = [];
  const receivers: ScriptedReceiver[] = [];

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    // A short timeout, to prove a slow receiver counts as a failure.
    slowKios = await TestKios.start(dialect, { CALLBACK_TIMEOUT_MS: '300' });
  });
  afterEach(async () => {
    await Promise.all([...sinks.splice(0).map((s) => s.close()), ...redirects.splice(0).map((s) => s.close()), ...receivers.splice(0).map((s) => s.close())]);
  });
  afterAll(async () => {
    await t?.close();
    await slowKios?.close();
  });

  async function sink() {
    const s = await CallbackSink.start();
    sinks.push(s);
    return s;
  }

  async function placed(on: TestKios, r: Reseller, body: Record<string, unknown>) {
    const res = await on.order(r.apiKey, { product_code: ML5.code, server_id: '1234', ...body });
    expect(res.status, res.text).toBe(201);
    return on.settle(res.json.data.invoice_number);
  }

  it('posts a signed JSON callback with the documented fields when an order is final', async () => {
    const s = await sink();
    const r = await t.reseller({ balance: 100_000 });
    const before = Math.floor(Date.now() / 1000);
    const o = await placed(t, r, { user_id: '123456789', trx_id: 'cb-ok-1', callback_url: `${s.url}/hook?shop=7` });
    expect(o.status).toBe('SUCCESS');
    const [req] = await s.waitFor(1);
    const after = Math.ceil(Date.now() / 1000);

    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/hook?shop=7');
    expect(req!.headers['content-type']).toBe('application/json');
    const data = JSON.parse(req!.body) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(CALLBACK_FIELDS);
    // The exact snippet resellers are given verifies the signature.
    expect(req!.headers['x-signature']).toBe(publishedSignature(data, r.apiKey));
    expect(req!.headers['x-signature']).not.toBe(publishedSignature(data, `${r.apiKey}x`));

    const view = (await t.request('GET', `/v1/status/${o.invoice_number}`, { key: r.apiKey })).json.data as Record<string, unknown>;
    const { balance, ...rest } = data;
    expect(rest).toEqual(view);
    expect(data.status).toBe('SUCCESS');
    expect(data.trx_id).toBe('cb-ok-1');
    expect(balance).toBe(100_000 - ML5.price);

    const [job] = await jobsOf(t.kios.db.kysely, o.id, 'callback');
    expect(req!.headers['webhook-id']).toBe(job!.id);
    const ts = Number(req!.headers['webhook-timestamp']);
    expect(Number.isInteger(ts)).toBe(true);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
    await t.expectLedgerConsistent();
  });

  it('the balance in a callback is the balance right after the event (after the refund of a FAILED order)', async () => {
    const s = await sink();
    const r = await t.reseller({ balance: 50_000 });
    const o = await placed(t, r, { user_id: '444444999', callback_url: `${s.url}/cb` });
    expect(o.status).toBe('FAILED');
    const [req] = await s.waitFor(1);
    const data = JSON.parse(req!.body) as { balance: number; status: string; response_note: string };
    expect(data.status).toBe('FAILED');
    expect(data.response_note).toBe(o.response_note);
    const refund = (await ledgerOf(t.kios.db.kysely, o.id)).find((e) => e.order_leg === 'refund')!;
    expect(data.balance).toBe(refund.balance_after);
    expect(data.balance).toBe(50_000);

    // An order placed and settled later does not change the balance frozen in an earlier event.
    const s2 = await sink();
    const o2 = await placed(t, r, { user_id: '444444111', callback_url: `${s2.url}/cb` });
    const [req2] = await s2.waitFor(1);
    expect(JSON.parse(req2!.body).balance).toBe(50_000 - o2.amount);
    expect(JSON.parse(s.received[0]!.body).balance).toBe(50_000);
    await t.expectLedgerConsistent();
  });

  it('a receiver that fails twice gets the same event three times, each attempt recorded', async () => {
    const s = await sink();
    s.failNext(2);
    const r = await t.reseller({ balance: 100_000 });
    const o = await placed(t, r, { user_id: '123456789', callback_url: `${s.url}/retry` });
    const job = await settledCallbackJob(t.kios.db.kysely, o.id);
    expect(job.status).toBe('done');
    expect(s.received).toHaveLength(3);
    const ids = new Set(s.received.map((x) => x.headers['webhook-id']));
    expect(ids).toEqual(new Set([job.id]));
    expect(new Set(s.received.map((x) => x.body)).size).toBe(1);
    for (const x of s.received) expect(x.headers['x-signature']).toBe(publishedSignature(JSON.parse(x.body), r.apiKey));

    const attempts = await attemptsOf(t.kios.db.kysely, job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.response_code])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'delivered', 200],
    ]);
    expect(attempts[0]!.error).toBe('HTTP 500');
    expect(attempts[2]!.error).toBeNull();
    // Retries follow the schedule (0.2 s after the first failure, 0.4 s after the second, +-10% jitter).
    expect(attempts[1]!.started_at - attempts[0]!.started_at).toBeGreaterThanOrEqual(170);
    expect(attempts[2]!.started_at - attempts[1]!.started_at).toBeGreaterThanOrEqual(350);
    await t.expectLedgerConsistent();
  });

  it("an order's callback_url wins over the reseller webhook; the webhook is used when the order has none", async () => {
    const hook = await sink();
    const own = await sink();
    const r = await t.reseller({ balance: 100_000 });
    await t.kios.resellers.setWebhook(r.id, `${hook.url}/webhook`);

    const withUrl = await placed(t, r, { user_id: '123456789', trx_id: 'own-url', callback_url: `${own.url}/own` });
    const withoutUrl = await placed(t, r, { user_id: '123456789', trx_id: 'no-url' });
    expect((await settledCallbackJob(t.kios.db.kysely, withUrl.id)).status).toBe('done');
    expect((await settledCallbackJob(t.kios.db.kysely, withoutUrl.id)).status).toBe('done');

    expect(own.received.map((x) => [x.url, JSON.parse(x.body).trx_id])).toEqual([['/own', 'own-url']]);
    expect(hook.received.map((x) => [x.url, JSON.parse(x.body).trx_id])).toEqual([['/webhook', 'no-url']]);
    await t.expectLedgerConsistent();
  });

  it('no callback when neither the order nor the reseller has a URL', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const o = await placed(t, r, { user_id: '123456789' });
    expect(o.status).toBe('SUCCESS');
    // The callback job would have been written in the very transaction that made the order final.
    expect(await jobsOf(t.kios.db.kysely, o.id, 'callback')).toEqual([]);
    await t.expectLedgerConsistent();
  });

  it('a receiver that never succeeds is given up after the schedule; the order and its money are untouched', async () => {
    const s = await sink();
    s.failNext(1000, 503);
    const r = await t.reseller({ balance: 100_000 });
    const o = await placed(t, r, { user_id: '123456777', callback_url: `${s.url}/down` });
    expect(o.status).toBe('PARTIAL_SUCCESS');
    const balance = await t.balance(r.id);

    const job = await settledCallbackJob(t.kios.db.kysely, o.id);
    expect(job.status).toBe('dead');
    expect(job.last_error).toBe('HTTP 503');
    const attempts = await attemptsOf(t.kios.db.kysely, job.id);
    expect(attempts).toHaveLength(ATTEMPTS);
    expect(attempts.every((a) => a.outcome === 'failed' && a.response_code === 503)).toBe(true);
    expect(s.received).toHaveLength(ATTEMPTS);

    expect(await t.orderRow(o.invoice_number)).toEqual(o);
    expect(await t.balance(r.id)).toBe(balance);
    await t.expectLedgerConsistent();
  });

  it('a redirect is not followed: it counts as a failure and its target never hears anything', async () => {
    const target = await sink();
    const redirect = await RedirectServer.start(`${target.url}/landed`);
    redirects.push(redirect);
    const r = await t.reseller({ balance: 100_000 });
    const o = await placed(t, r, { user_id: '123456789', callback_url: `${redirect.url}/moved` });

    const job = await settledCallbackJob(t.kios.db.kysely, o.id);
    expect(job.status).toBe('dead');
    const attempts = await attemptsOf(t.kios.db.kysely, job.id);
    expect(attempts.map((a) => [a.outcome, a.response_code])).toEqual(Array.from({ length: ATTEMPTS }, () => ['failed', 302]));
    expect(redirect.received).toBe(ATTEMPTS);
    expect(target.received).toEqual([]);
    expect((await t.orderRow(o.invoice_number)).status).toBe('SUCCESS');
    await t.expectLedgerConsistent();
  });

  it('a receiver slower than CALLBACK_TIMEOUT_MS counts as a failure and is retried', async () => {
    // The first request is answered after 3 s (CALLBACK_TIMEOUT_MS is 300 here), the rest at once.
    const s = await ScriptedReceiver.start((n) => ({ delayMs: n === 0 ? 3_000 : 0 }));
    receivers.push(s);
    const r = await slowKios.reseller({ balance: 100_000 });
    const o = await placed(slowKios, r, { user_id: '123456789', callback_url: `${s.url}/slow` });
    const k = slowKios.kios.db.kysely;
    const job = await settledCallbackJob(k, o.id);
    expect(job.status).toBe('done');

    const attempts = await attemptsOf(k, job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.response_code])).toEqual([
      [1, 'failed', null],
      [2, 'delivered', 200],
    ]);
    expect(attempts[0]!.error).toBeTruthy();
    // The slow receiver did get the first request; kios gave up waiting for its answer.
    expect(s.received).toHaveLength(2);
    expect(new Set(s.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([job.id]));
    await slowKios.expectLedgerConsistent();
  });
});
