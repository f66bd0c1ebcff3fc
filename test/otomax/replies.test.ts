import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { DOC_CATALOG, WITH_SCRIPTED, exampleCallback, exampleReply, expectReadmeParse, expectTextLine, otomaxGet, parseUserLineWithReadme } from './support.js';

/**
 * The collection's example replies, reproduced byte for byte from the same inputs: the same
 * product (S1_1187, platinum price 1511), destination, trx_id, nickname (a scripted supplier
 * answers the documents' `Nickname`), invoice prefix `APIKUY` and category code `XX`, and a
 * balance chosen so that the balance after the order is the example's. Only what kios generates
 * at random (invoice number digits and RefId) is read back from the database.
 */
const PRICE = 1511;
const TRX = '1234243244';

describe.each(DIALECTS)('Otomax documented replies (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { INVOICE_PREFIX: 'APIKUY' }, { catalog: false, ...WITH_SCRIPTED });
    await t.kios.catalog.import(DOC_CATALOG);
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  it.each([
    ['v1', 'Create otomax order', { user_id: '123456789', server_id: '1234' }],
    ['v2', 'Create otomax order v2', { user_id: '1234567891234' }],
    ['v3', 'Create otomax order v3', { user_id: '1234567891234' }],
  ] as const)('%s created line: the "%s" example', async (version, example, dest) => {
    const doc = exampleReply(example);
    const r = await t.reseller({ balance: 12345 + PRICE });
    const res = await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, product_code: 'S1_1187', ...dest, trx_id: TRX });
    const line = expectTextLine(res);

    const order = await t.kios.orders.findByTrx(r.id, TRX);
    expect(order).not.toBeNull();
    expect(order!.ref).toMatch(/^XX_\d{10}_\d{4}$/);
    expect(order!.invoice_number).toMatch(/^APIKUY_XX_\d{10}_\d{4}$/);
    expect(await t.balance(r.id)).toBe(12345);
    // The document prints R#123424324 for trx_id 1234243244 (a typo); RULINGS' R#{trx_id} wins.
    const documented = doc.replace(/^R#123424324 /, `R#${TRX} `).replace(/RefId : \S+/, `RefId : ${order!.ref}`);
    expect(line).toBe(documented);
    expect(line).toMatch(/^R#1234243244 S1_1187\.123456789\|1234, status PENDING\. RefId : XX_\d+_\d{4} \. Sisa saldo 12345$/);
    expectReadmeParse(line, { status: 'PENDING', invoice: null, sn: order!.ref, balance: 12345, error: null });
  });

  it('status line and Otomax callback: the "Get otomax invoice detail" and "Callback Otomax" examples', async () => {
    const r = await t.reseller({ balance: 12343 + PRICE });
    const created = expectTextLine(
      await otomaxGet(t, '/v1/otomax/order', { apikey: r.apiKey, product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: TRX, callback_url: `${sink.url}/callback` }),
    );
    expect(created).toContain(', status PENDING. ');
    const order = await t.settle((await t.kios.orders.findByTrx(r.id, TRX))!.invoice_number);
    expect(order.status).toBe('SUCCESS');
    expect(await t.balance(r.id)).toBe(12343);

    const doc = exampleReply('Get otomax invoice detail');
    const documented = doc.replace('APIKUY_XX_1679528285_4321', order.invoice_number).replace('RefId: XX_1679528285_4321', `RefId: ${order.ref}`);
    const status = expectTextLine(await otomaxGet(t, `/v1/otomax/status/${order.invoice_number}`, { apikey: r.apiKey }));
    expect(status).toBe(documented);
    expectReadmeParse(status, { status: 'SUCCESS', invoice: order.invoice_number, sn: order.ref, balance: 12343, error: null });

    // The v3 replay of the same trx_id is the same status line.
    const replay = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'S1_1187', user_id: '1234567891234', trx_id: TRX }));
    expect(replay).toBe(documented);

    // The callback: GET {callback_url}?invoice_number=&trx_id=&status=&sn=&msg= (+ serverid, clientid, statuscode).
    const [cb] = await sink.waitFor(1);
    expect(cb!.method).toBe('GET');
    const url = new URL(cb!.url, sink.url);
    expect(url.pathname).toBe('/callback');
    const { data } = exampleCallback();
    const sub = (v: unknown) => String(v).replace('APIKUY_XX_1679528285_4321', order.invoice_number).replace('RefId: XX_1679528285_4321', `RefId: ${order.ref}`);
    expect([...url.searchParams]).toEqual([
      ['invoice_number', sub(data.invoice_number)],
      ['trx_id', sub(data.trx_id)],
      ['status', sub(data.status)],
      ['sn', sub(data.sn)],
      ['msg', sub(data.msg)],
      ['serverid', order.invoice_number],
      ['clientid', TRX],
      ['statuscode', '1'],
    ]);
    expect(url.searchParams.get('msg')).toBe(documented);
    expect(url.search).not.toMatch(/[# ]/);
  });

  it('user line: the "Get otomax user detail" example', async () => {
    const doc = exampleReply('Get otomax user detail');
    const r = await t.reseller({ name: 'TopupKuy', email: 'topupkuy@topupkuy.id', role: 'platinum', balance: 1234344 });
    const line = expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }));
    expect(line).toBe(doc);
    expect(parseUserLineWithReadme(line)).toEqual({ name: 'TopupKuy', email: 'topupkuy@topupkuy.id', plan: 'Platinum Member', balance: 1234344 });
    expectReadmeParse(line, { status: null, invoice: null, sn: null, balance: null, error: null });
  });
});
