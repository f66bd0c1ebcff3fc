import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { expectReadmeParse, expectTextLine, expected, newTrx, otomaxGet, rawGet } from './support.js';

/**
 * Every refusal an order can meet has its one-line text reply (RULINGS section 2), HTTP 200, and
 * leaves balances, orders, ledger and jobs exactly as they were. Nothing produces a 500, an HTML
 * page or a JSON envelope on this channel.
 */
const RATE_LIMIT = 25;

describe.each(DIALECTS)('Otomax refusals (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { RATE_LIMIT_MAX: String(RATE_LIMIT) });
  });
  afterAll(async () => t?.close());

  /**
   * Sends an order, expects the error line built from the RULINGS template with `dest`, the
   * balance read back, and no change anywhere in the database.
   */
  async function expectRefused(r: Reseller, version: 'v1' | 'v2' | 'v3', params: Record<string, string | string[]>, code: string, line: { trx: string; productCode: string; dest: string }) {
    const before = await t.snapshot();
    const reply = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params }));
    const balance = await t.balance(r.id);
    expect(reply).toBe(expected.error(line.trx, line.productCode, line.dest, code, balance));
    expect(await t.snapshot()).toEqual(before);
    expectReadmeParse(reply, { status: 'FAILED', invoice: null, sn: null, balance, error: code });
    return reply;
  }

  it('bad or missing API key: API_KEY_NOT_FOUND alone, on every route', async () => {
    const r = await t.reseller();
    const order = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: newTrx() };
    const before = await t.snapshot();
    for (const v of ['v1', 'v2', 'v3']) {
      expect(expectTextLine(await otomaxGet(t, `/${v}/otomax/order`, order))).toBe('API_KEY_NOT_FOUND');
      expect(expectTextLine(await otomaxGet(t, `/${v}/otomax/order`, { ...order, apikey: `${r.apiKey}x` }))).toBe('API_KEY_NOT_FOUND');
      expect(expectTextLine(await otomaxGet(t, `/${v}/otomax/order`, { ...order, apikey: '' }))).toBe('API_KEY_NOT_FOUND');
      expect(expectTextLine(await otomaxGet(t, `/${v}/otomax/order`, { ...order, apikey: [r.apiKey, r.apiKey] }))).toBe('API_KEY_NOT_FOUND');
    }
    // The JSON API's header is not this channel's credential.
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/order', order, { headers: { authorization: r.apiKey } }))).toBe('API_KEY_NOT_FOUND');
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: 'kios_nope' }))).toBe('API_KEY_NOT_FOUND');
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/status/KIOS_ML_1_1234', {}))).toBe('API_KEY_NOT_FOUND');
    expect(await t.snapshot()).toEqual(before);
  });

  it('IP whitelist: an address off the list gets the error line; status and user get the code', async () => {
    const r = await t.reseller({ balance: 50_000 });
    // Allowed first (the test client is 127.0.0.1): one order, to prove the v3 replay below is not a status check.
    const trx = newTrx();
    const created = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx }));
    expect(created).toContain(', status PENDING. ');
    const invoice = (await t.kios.orders.findByTrx(r.id, trx))!.invoice_number;
    await t.settle(invoice);

    await t.kios.resellers.whitelist(r.id, 'add', '10.0.0.1');
    await expectRefused(r, 'v1', { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: 'W1' }, 'IP_NOT_WHITELISTED', {
      trx: 'W1',
      productCode: 'S1_1187',
      dest: '123456789|1234',
    });
    // Off the whitelist, a reused v3 trx_id tells nothing about the order.
    await expectRefused(r, 'v3', { product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx }, 'IP_NOT_WHITELISTED', {
      trx,
      productCode: 'S1_1187',
      dest: '123456789|1234',
    });
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }))).toBe('IP_NOT_WHITELISTED');
    expect(expectTextLine(await otomaxGet(t, `/v1/otomax/status/${invoice}`, { apikey: r.apiKey }))).toBe('IP_NOT_WHITELISTED');

    // IPv4-mapped IPv6 and CIDR entries: 127.0.0.0/8 lets the test client in again.
    await t.kios.resellers.whitelist(r.id, 'add', '::ffff:127.0.0.0/104');
    const user = expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }));
    expect(user).toBe(expected.user('Test Reseller', (await t.kios.resellers.get(r.id)).email, 'Platinum Member', await t.balance(r.id)));
  });

  it('INSUFFICIENT_BALANCE', async () => {
    const r = await t.reseller({ balance: 1510 });
    await expectRefused(r, 'v1', { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: 'B1' }, 'INSUFFICIENT_BALANCE', {
      trx: 'B1',
      productCode: 'S1_1187',
      dest: '123456789|1234',
    });
    await expectRefused(r, 'v3', { product_code: 'S1_1187', user_id: '1234567891234', trx_id: 'B2' }, 'INSUFFICIENT_BALANCE', {
      trx: 'B2',
      productCode: 'S1_1187',
      dest: '123456789|1234',
    });
    expect(await t.balance(r.id)).toBe(1510);
  });

  it('PRODUCT_NOT_FOUND: unknown, missing or malformed product_code', async () => {
    const r = await t.reseller();
    await expectRefused(r, 'v2', { product_code: 'NOPE1', user_id: '123456789|1234', trx_id: 'P1' }, 'PRODUCT_NOT_FOUND', { trx: 'P1', productCode: 'NOPE1', dest: '123456789|1234' });
    await expectRefused(r, 'v1', { user_id: '123456789', server_id: '1234', trx_id: 'P2' }, 'PRODUCT_NOT_FOUND', { trx: 'P2', productCode: '', dest: '123456789|1234' });
    await expectRefused(r, 'v3', { product_code: 'S1 1187', user_id: '1234567891234', trx_id: 'P3' }, 'PRODUCT_NOT_FOUND', { trx: 'P3', productCode: 'S1 1187', dest: '1234567891234' });
  });

  it('PRODUCT_INACTIVE: an inactive product, a product of an inactive category', async () => {
    const r = await t.reseller();
    await expectRefused(r, 'v3', { product_code: 'S4_MLWDP', user_id: '1234567891234', trx_id: 'I1' }, 'PRODUCT_INACTIVE', {
      trx: 'I1',
      productCode: 'S4_MLWDP',
      dest: '123456789|1234',
    });
    await expectRefused(r, 'v1', { product_code: 'HOK80', user_id: '123456789', trx_id: 'I2' }, 'PRODUCT_INACTIVE', { trx: 'I2', productCode: 'HOK80', dest: '123456789' });
  });

  it('PAYMENT_METHOD_NOT_ALLOWED: e-wallets cannot be paid from balance', async () => {
    const r = await t.reseller();
    await expectRefused(r, 'v2', { product_code: 'DANA10', user_id: '081234567890', trx_id: 'E1' }, 'PAYMENT_METHOD_NOT_ALLOWED', {
      trx: 'E1',
      productCode: 'DANA10',
      dest: '081234567890',
    });
  });

  it('NICKNAME_NOT_FOUND and INVALID_USER_ID from the account check', async () => {
    const r = await t.reseller();
    await expectRefused(r, 'v3', { product_code: 'FF70', user_id: '123456404', trx_id: 'N1' }, 'NICKNAME_NOT_FOUND', { trx: 'N1', productCode: 'FF70', dest: '123456404' });
    await expectRefused(r, 'v3', { product_code: 'S1_1187', user_id: '0123456781234', trx_id: 'N2' }, 'INVALID_USER_ID', {
      trx: 'N2',
      productCode: 'S1_1187',
      dest: '012345678|1234',
    });
  });

  it('INVALID_USER_ID: missing, malformed, no server where one is needed, unsplittable destination', async () => {
    const r = await t.reseller();
    await expectRefused(r, 'v1', { product_code: 'S1_1187', user_id: '123456789', trx_id: 'U1' }, 'INVALID_USER_ID', { trx: 'U1', productCode: 'S1_1187', dest: '123456789' });
    await expectRefused(r, 'v1', { product_code: 'FF70', trx_id: 'U2' }, 'INVALID_USER_ID', { trx: 'U2', productCode: 'FF70', dest: '' });
    await expectRefused(r, 'v1', { product_code: 'FF70', user_id: '12"34', trx_id: 'U3' }, 'INVALID_USER_ID', { trx: 'U3', productCode: 'FF70', dest: '12"34' });
    await expectRefused(r, 'v1', { product_code: 'S1_1187', user_id: '123456789', server_id: '12 34', trx_id: 'U4' }, 'INVALID_USER_ID', {
      trx: 'U4',
      productCode: 'S1_1187',
      dest: '123456789|12 34',
    });
    await expectRefused(r, 'v2', { product_code: 'GI60', user_id: '123456789os_asia', trx_id: 'U5' }, 'INVALID_USER_ID', {
      trx: 'U5',
      productCode: 'GI60',
      dest: '123456789os_asia',
    });
    await expectRefused(r, 'v3', { product_code: 'S1_1187', user_id: 'abc', trx_id: 'U6' }, 'INVALID_USER_ID', { trx: 'U6', productCode: 'S1_1187', dest: 'abc' });
    // A line break in the destination never breaks the reply line.
    await expectRefused(r, 'v3', { product_code: 'FF70', user_id: '123\n456', trx_id: 'U7' }, 'INVALID_USER_ID', { trx: 'U7', productCode: 'FF70', dest: '123 456' });
  });

  it('INVALID_CALLBACK_URL', async () => {
    const r = await t.reseller();
    const base = { product_code: 'FF70', user_id: '123456789' };
    for (const [i, url] of ['ftp://example.com/cb', 'not a url', '/relative/cb', `https://example.com/${'a'.repeat(2049)}`].entries()) {
      const trx = `C${i}`;
      await expectRefused(r, 'v3', { ...base, trx_id: trx, callback_url: url }, 'INVALID_CALLBACK_URL', { trx, productCode: 'FF70', dest: '123456789' });
    }
  });

  it('BAD_REQUEST: trx_id missing, too long, malformed or repeated', async () => {
    const r = await t.reseller();
    const base = { product_code: 'FF70', user_id: '123456789' };
    for (const v of ['v1', 'v2', 'v3'] as const) {
      await expectRefused(r, v, base, 'BAD_REQUEST', { trx: '', productCode: 'FF70', dest: '123456789' });
      await expectRefused(r, v, { ...base, trx_id: '' }, 'BAD_REQUEST', { trx: '', productCode: 'FF70', dest: '123456789' });
    }
    const long = '9'.repeat(101);
    await expectRefused(r, 'v3', { ...base, trx_id: long }, 'BAD_REQUEST', { trx: long.slice(0, 100), productCode: 'FF70', dest: '123456789' });
    await expectRefused(r, 'v1', { ...base, trx_id: 'a b' }, 'BAD_REQUEST', { trx: 'a b', productCode: 'FF70', dest: '123456789' });
    await expectRefused(r, 'v2', { ...base, trx_id: ['T1', 'T2'] }, 'BAD_REQUEST', { trx: '', productCode: 'FF70', dest: '123456789' });
  });

  it('TOO_MANY_REQUESTS: the error line; on v3 a known trx_id still gets its status line', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const trx = newTrx();
    const created = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx }));
    expect(created).toContain(', status PENDING. ');
    const order = await t.settle((await t.kios.orders.findByTrx(r.id, trx))!.invoice_number);
    for (let i = 1; i < RATE_LIMIT; i++) expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }));

    await expectRefused(r, 'v3', { product_code: 'FF70', user_id: '123456789', trx_id: 'RL1' }, 'TOO_MANY_REQUESTS', { trx: 'RL1', productCode: 'FF70', dest: '123456789' });
    await expectRefused(r, 'v1', { product_code: 'FF70', user_id: '123456789', trx_id: trx }, 'TOO_MANY_REQUESTS', { trx, productCode: 'FF70', dest: '123456789' });
    // Otomax re-sending a v3 transaction while rate-limited must not read "status FAILED".
    const replay = expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx }));
    expect(replay).toBe(expected.status(order, await t.balance(r.id)));
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }))).toBe('TOO_MANY_REQUESTS');
  });

  it('status route: an unknown, foreign or implausible invoice is INVOICE_NOT_FOUND', async () => {
    const a = await t.reseller();
    const b = await t.reseller();
    const trx = newTrx();
    expectTextLine(await otomaxGet(t, '/v1/otomax/order', { apikey: a.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx }));
    const invoice = (await t.kios.orders.findByTrx(a.id, trx))!.invoice_number;
    expect(expectTextLine(await otomaxGet(t, `/v1/otomax/status/${invoice}`, { apikey: b.apiKey }))).toBe('INVOICE_NOT_FOUND');
    expect(expectTextLine(await otomaxGet(t, '/v1/otomax/status/KIOS_FF_1_0000', { apikey: a.apiKey }))).toBe('INVOICE_NOT_FOUND');
    expect(expectTextLine(await otomaxGet(t, `/v1/otomax/status/${encodeURIComponent('a b<c>')}`, { apikey: a.apiKey }))).toBe('INVOICE_NOT_FOUND');
    expect(expectTextLine(await otomaxGet(t, `/v1/otomax/status/${'9'.repeat(150)}`, { apikey: a.apiKey }))).toBe('INVOICE_NOT_FOUND');
  });

  it('no input produces a 500, an HTML page or a JSON envelope', async () => {
    const r = await t.reseller();
    const k = encodeURIComponent(r.apiKey);
    const before = await t.snapshot();
    const probes: [string, RequestInit?][] = [
      [`/v1/otomax/order?apikey=${k}&product_code=FF70&user_id=%zz&trx_id=X1`],
      [`/v2/otomax/order?apikey=${k}&product_code=%E0%A4%A&user_id=1&trx_id=X2`],
      [`/v3/otomax/order?apikey=${k}&product_code=FF70&user_id=%FF%FE&trx_id=%C0%AF`],
      [`/v3/otomax/order?apikey=${k}&product_code=FF70&user_id=${'1'.repeat(5000)}&trx_id=X3`],
      [`/v3/otomax/order?apikey=${k}&product_code[]=FF70&user_id[a]=1&trx_id=X4`],
      [`/v3/otomax/order?apikey=${k}&&&=&product_code=&user_id=&trx_id=`],
      [`/v3/otomax/order?apikey=${k}&product_code=FF70&user_id=%3Cscript%3E&trx_id=X5`],
      [`/v3/otomax/order?apikey=${k}&product_code=FF70&user_id=123456789&trx_id=X6&callback_url=http://[::1`],
      [`/v1/otomax/order/?apikey=${k}&product_code=FF70&user_id=1%00&trx_id=X7`],
      // NUL: PostgreSQL refuses it in text, so it must never reach a query.
      [`/v3/otomax/order?apikey=${k}&product_code=FF70%00&user_id=123456789&trx_id=X%00`],
      [`/v3/otomax/order?apikey=${k}%00&product_code=FF70&user_id=123456789&trx_id=X9`],
      [`/v2/otomax/order?apikey=${k}&product_code=FF70&user_id=123456789%00|1&trx_id=X10`],
      [`/v3/otomax/order?apikey=${k}&product_code=FF70&user_id=123456789&trx_id=X11&callback_url=http://a%00.example/x`],
      [`/v1/otomax/status/X%00?apikey=${k}`],
      [`/v1/otomax/status/%zz?apikey=${k}`],
      [`/v1/otomax/status/%2e%2e%2f?apikey=${k}`],
      [`/v1/otomax/status/?apikey=${k}`],
      [`/v1/otomax/user?apikey=%zz`],
      [`/v1/otomax/user?apikey=${k}&apikey=${k}`],
      [`/v4/otomax/order?apikey=${k}`],
      [`/v1/otomax/nope?apikey=${k}`],
      [`/v1/otomax/order?apikey=${k}&product_code=FF70&user_id=1&trx_id=X8`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' }],
      [`/v1/otomax/user?apikey=${k}`, { method: 'DELETE' }],
    ];
    for (const [path, init] of probes) {
      const res = await rawGet(t, path, init);
      const line = expectTextLine(res);
      expect(line, path).not.toMatch(/^<|<html|<!doctype|^\{|SERVER_ERROR/i);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('HEAD never places an order (its reply would have no body to read)', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const before = await t.snapshot();
    for (const v of ['v1', 'v2', 'v3']) {
      const trx = newTrx();
      const res = await otomaxGet(t, `/${v}/otomax/order`, { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx }, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.contentType).toBe('text/plain; charset=utf-8');
      expect(await t.kios.orders.findByTrx(r.id, trx)).toBeNull();
    }
    expect(await t.snapshot()).toEqual(before);
    expect(await t.balance(r.id)).toBe(50_000);
  });
});
