import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { eventsOf, freePort } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { KiosgameFake } from '../fakes/kiosgame.js';
import { PRODUCT, TwoSuppliers } from './support.js';

/**
 * Supplier callbacks into kios (`/suppliers/<name>/callback`): verified before trusted, applied
 * only to undecided attempts, never moving an order backwards; duplicates, stale reports, junk
 * and forgeries change nothing. Status checks are pushed 30 s away here, so whatever decides an
 * order within the test is the callback.
 */
describe.each(DIALECTS)('supplier callbacks (%s)', (dialect) => {
  let s: TwoSuppliers;
  let sink: CallbackSink;
  beforeAll(async () => {
    s = await TwoSuppliers.start(dialect, { SUPPLIER_RECHECK_SCHEDULE: '30' });
    sink = await CallbackSink.start();
  });
  afterEach(() => s.reset());
  afterAll(async () => {
    await s?.close();
    await sink?.close();
  });

  const k = () => s.t.kios.db.kysely;
  const dfUrl = () => `${s.t.url}/suppliers/digi/callback`;
  const kgUrl = () => `${s.t.url}/suppliers/tossgames/callback`;
  const reseller = () => s.t.reseller({ balance: 100_000 });
  const statusChecks = async (id: string) => (await eventsOf(k(), id, 'supplier_status')).length;
  const sinkFor = (invoice: string) => sink.received.filter((r) => r.body.includes(invoice)).map((r) => (JSON.parse(r.body) as { status: string }).status);

  it('a callback decides a pending attempt, and the reseller\'s own callback follows without waiting for a status check', async () => {
    s.reset();
    s.kg.plan = () => 'slow-success';
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000001', { callback_url: `${sink.url}/r` });
    await eventually(async () => expect((await s.attempts(id))[0]?.state).toBe('sent'));
    // The platform's callback arrives after its 300 ms; the next status check would be in 30 s.
    await eventually(() => expect(sinkFor(invoice)).toEqual(['SUCCESS']), 5000);
    expect((await s.t.orderRow(invoice)).status).toBe('SUCCESS');
    expect(await statusChecks(id)).toBe(0);
    const cb = (await eventsOf(k(), id, 'supplier_callback'))[0]!;
    expect(cb.data).toMatchObject({ attempt: 1, supplier: 'tossgames', ref: `${id}-1`, kind: 'success' });
    await s.t.expectLedgerConsistent();
  });

  it('a FAILED callback on a pending attempt fails over at once', async () => {
    s.reset();
    s.kg.plan = () => 'slow-failed';
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000002');
    const o = await s.t.settle(invoice, undefined, 5000);
    expect(o.status).toBe('SUCCESS');
    expect((await s.attempts(id)).map((a) => [a.supplier_id, a.state])).toEqual([
      ['tossgames', 'failed'],
      ['digi', 'success'],
    ]);
    expect(await statusChecks(id)).toBe(0);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
  });

  it('forged, unknown, malformed and misdirected callbacks get a 4xx and change nothing', async () => {
    s.reset();
    s.df.plan = () => 'slow-success';
    s.df.opts.pendingMs = 60_000;
    s.kg.plan = () => 'refuse';
    const r = await reseller();
    const { id } = await s.order(r, '710000003');
    await eventually(async () => expect((await s.attempts(id)).at(-1)?.state).toBe('sent'));
    const before = { snapshot: await s.t.snapshot(), attempts: await s.attempts(id), events: await eventsOf(k(), id) };

    const ref = `${id}-2`;
    const good = s.df.webhook(ref, 'success');
    const post = async (url: string, body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, json: (await res.json()) as { ok: boolean; message: string } };
    };
    const sign = (body: string, secret = s.df.webhookSecret) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    const forgedSig = sign(good.body, 'not-the-secret');
    const tampered = good.body.replace('"Sukses"', '"Gagal"');
    const cases: [string, Promise<{ status: number; json: { ok: boolean } }>, number][] = [
      ['no signature', post(dfUrl(), good.body), 401],
      ['wrong secret', post(dfUrl(), good.body, { 'x-hub-signature': forgedSig }), 401],
      ['body changed after signing', post(dfUrl(), tampered, { 'x-hub-signature': good.signature }), 401],
      ['signature without sha1=', post(dfUrl(), good.body, { 'x-hub-signature': good.signature.slice(5) }), 401],
      ['signed junk', post(dfUrl(), 'not json', { 'x-hub-signature': sign('not json') }), 400],
      ['signed, no transaction', post(dfUrl(), '{"data":{}}', { 'x-hub-signature': sign('{"data":{}}') }), 400],
      ['signed, unknown reference', post(dfUrl(), s.df.webhook('ord_unknown-1').body, { 'x-hub-signature': s.df.webhook('ord_unknown-1').signature }), 404],
      ['signed by Digiflazz, sent to the Kiosgame URL', post(kgUrl(), good.body, { 'x-signature': good.signature }), 401],
      ['unknown supplier', post(`${s.t.url}/suppliers/nobody/callback`, good.body, { 'x-hub-signature': good.signature }), 404],
      ['a kind that sends no callbacks', post(`${s.t.url}/suppliers/simulator/callback`, good.body), 404],
      ['kiosgame, bad x-signature', post(kgUrl(), '{"trx_id":"x","invoice_number":"y","status":"SUCCESS"}', { 'x-signature': 'ab'.repeat(32) }), 401],
    ];
    for (const [what, res, status] of cases) {
      const got = await res;
      expect({ what, status: got.status, ok: got.json.ok }).toEqual({ what, status, ok: false });
    }
    // GET with junk, and an oversized body.
    expect((await fetch(`${dfUrl()}?a=1&b=%ZZ`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(dfUrl(), { method: 'POST', body: 'x'.repeat(200_000) })).status).toBe(413);

    expect(await s.t.snapshot()).toEqual(before.snapshot);
    expect(await s.attempts(id)).toEqual(before.attempts);
    expect(await eventsOf(k(), id)).toEqual(before.events);
    expect((await s.t.orderRow((await s.t.kios.db.kysely.selectFrom('orders').select('invoice_number').where('id', '=', id).executeTakeFirstOrThrow()).invoice_number)).status).toBe('PENDING');
  });

  it('duplicates, stale reports and contradictions change nothing; a contradiction is recorded for the operator', async () => {
    s.reset();
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000004', { callback_url: `${sink.url}/d` });
    const done = await s.t.settle(invoice);
    expect(done.status).toBe('SUCCESS');
    await eventually(() => expect(sinkFor(invoice)).toEqual(['SUCCESS']));
    const balance = await s.t.balance(r.id);
    const ref = `${id}-1`;

    expect(await s.kg.report(kgUrl(), ref, 'success')).toBe(200); // the same again
    expect(await s.kg.report(kgUrl(), ref, 'pending')).toBe(200); // stale, out of order
    expect(await s.kg.report(kgUrl(), ref, 'failed')).toBe(200); // contradicts SUCCESS

    expect(await s.t.orderRow(invoice)).toEqual(done);
    expect(await s.t.balance(r.id)).toBe(balance);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
    const conflicts = await eventsOf(k(), id, 'supplier_conflict');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.data).toMatchObject({ attempt: 1, supplier: 'tossgames', state: 'success', answer: 'failed' });
    // Still one callback to the reseller: nothing changed for it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sinkFor(invoice)).toEqual(['SUCCESS']);
    await s.t.expectLedgerConsistent();
  });

  it('a supplier that says "delivered" after refusing (the order went elsewhere) is recorded as a conflict, not applied', async () => {
    s.reset();
    s.kg.plan = () => 'slow-failed';
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000005');
    expect((await s.t.settle(invoice, undefined, 5000)).status).toBe('SUCCESS');
    expect(await s.kg.report(kgUrl(), `${id}-1`, 'success')).toBe(200);
    expect((await s.attempts(id)).map((a) => a.state)).toEqual(['failed', 'success']);
    expect(await eventsOf(k(), id, 'supplier_conflict')).toHaveLength(1);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
  });

  it('a platform\'s REFUNDED after SUCCESS reverses the order once: REFUNDED, money back, reseller told', async () => {
    s.reset();
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000006', { callback_url: `${sink.url}/rf` });
    expect((await s.t.settle(invoice)).status).toBe('SUCCESS');
    const ref = `${id}-1`;
    const refunded = { ...s.kg.txns.get(ref)! };
    // The Kiosgame status REFUNDED: the fake's book has no such state, so the body is built here.
    const body = JSON.stringify({
      invoice_number: refunded.supplierRef,
      trx_id: ref,
      response_note: `Fake - ${refunded.destination} . RefId: ${refunded.supplierRef} . Dibatalkan supplier`,
      category: { title: 'Fake', subtitle: null, type: 'game' },
      product: { name: 'Fake', code: PRODUCT.kgSku, price: refunded.price },
      user_input: { user_id: '710000006', server_id: '2468', nickname: 'Fake' },
      balance: 1,
      amount: refunded.price,
      status: 'REFUNDED',
      voucher: null,
      created_at: new Date().toISOString(),
    });
    const send = () => fetch(kgUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', s.kg.apiKey).update(body).digest('hex') }, body });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const o = await s.t.orderRow(invoice);
    expect(o.status).toBe('REFUNDED');
    expect(o.response_note).toMatch(/Dibatalkan supplier$/);
    expect(await s.legs(id)).toEqual([
      ['order_debit', -PRODUCT.price],
      ['refund', PRODUCT.price],
    ]);
    expect((await s.attempts(id))[0]!.state).toBe('reversed');
    await eventually(() => expect(sinkFor(invoice)).toEqual(['SUCCESS', 'REFUNDED']));
    await s.t.expectLedgerConsistent();
  });

  it('a callback that overtakes the purchase reply decides the order; the late reply changes nothing', async () => {
    s.reset();
    // The platform books and reports success at once, but its answer to the purchase never comes.
    s.kg.faultFor = (path) => (path === '/v2/order' ? 'hang-after' : 'none');
    s.kg.faults = { hangMs: 1000 };
    const r = await reseller();
    const { invoice, id } = await s.order(r, '710000007');
    expect((await s.t.settle(invoice, undefined, 5000)).status).toBe('SUCCESS');
    // The purchase call then times out (an ambiguous answer) about a decided attempt: ignored.
    await eventually(async () => expect((await eventsOf(k(), id, 'supplier_purchase')).length).toBe(1), 5000);
    expect((await s.attempts(id)).map((a) => a.state)).toEqual(['success']);
    expect(await eventsOf(k(), id, 'supplier_conflict')).toHaveLength(0);
    expect(await s.legs(id)).toEqual([['order_debit', -PRODUCT.price]]);
  });
});

describe.each(DIALECTS)('callback URLs sent with purchases (%s)', (dialect) => {
  it('with PUBLIC_URL, each purchase names kios\'s callback URL for that supplier (cb_url, callback_url)', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const kg = await KiosgameFake.start();
    const df = await DigiflazzFake.start();
    const t = await TestKios.start(dialect, { PORT: String(port), PUBLIC_URL: publicUrl });
    try {
      await t.kios.suppliers.add('kiosgame', 'tossgames', kg.config());
      await t.kios.suppliers.add('digiflazz', 'digi', df.config());
      expect((await t.kios.suppliers.show('digi')).callbackUrl).toBe(`${publicUrl}/suppliers/digi/callback`);
      await t.kios.routes.add('FF70', 'tossgames', 'FF70', { cost: 9000, priority: 1 });
      await t.kios.routes.add('FF140', 'digi', 'FF140', { cost: 18000, priority: 1 });
      const r = await t.reseller();
      for (const code of ['FF70', 'FF140']) {
        const res = await t.order(r.apiKey, { product_code: code, user_id: '720000001' });
        expect((await t.settle(res.json.data.invoice_number)).status).toBe('SUCCESS');
      }
      expect([...kg.txns.values()].map((x) => x.callbackUrl)).toEqual([`${publicUrl}/suppliers/tossgames/callback`]);
      expect([...df.txns.values()].map((x) => x.callbackUrl)).toEqual([`${publicUrl}/suppliers/digi/callback`]);
      // `false` in the configuration: never send one; a URL: that one.
      await t.kios.suppliers.update('digi', { cb_url: false });
      await t.settle((await t.order(r.apiKey, { product_code: 'FF140', user_id: '720000002' })).json.data.invoice_number);
      expect([...df.txns.values()].at(-1)!.callbackUrl).toBeNull();
      await t.kios.suppliers.update('digi', { cb_url: 'https://kios.example.com/hooks/digi' });
      await t.settle((await t.order(r.apiKey, { product_code: 'FF140', user_id: '720000003' })).json.data.invoice_number);
      expect([...df.txns.values()].at(-1)!.callbackUrl).toBe('https://kios.example.com/hooks/digi');
    } finally {
      await t.close();
      await kg.close();
      await df.close();
    }
  });
});
