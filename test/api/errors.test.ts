import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { expectErrorEnvelope, JSON_CONTENT_TYPE, SPEC_ERROR_STATUS } from '../helpers/json-api.js';
import { TestKios, type HttpResult, type Reseller } from '../helpers/kios.js';

/**
 * Every error code of RULINGS section 1, reached through the HTTP API, with its HTTP status and
 * exact envelope; and every failed request leaves orders, ledger, jobs and balances untouched.
 */

const ORDER = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' };

interface ErrorCase {
  code: string;
  name: string;
  /** Who sends it: the default reseller, or one prepared for the case. */
  as?: 'poor' | 'fenced';
  method?: string;
  path?: string;
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

const CASES: ErrorCase[] = [
  { code: 'API_KEY_NOT_FOUND', name: 'no Authorization header (GET /v1/user)', method: 'GET', path: '/v1/user', key: null },
  { code: 'API_KEY_NOT_FOUND', name: 'no Authorization header (order)', key: null, body: ORDER },
  { code: 'API_KEY_NOT_FOUND', name: 'unknown key', key: 'kios_thisKeyWasNeverIssuedToAnyone000000000', body: ORDER },
  { code: 'API_KEY_NOT_FOUND', name: '`Bearer unknown`', key: 'Bearer unknown', body: ORDER },
  { code: 'API_KEY_NOT_FOUND', name: 'empty key', key: '', body: ORDER },
  { code: 'API_KEY_NOT_FOUND', name: '`Bearer ` with nothing after it', key: 'Bearer ', method: 'GET', path: '/v1/user' },
  { code: 'INVOICE_NOT_FOUND', name: 'unknown invoice number', method: 'GET', path: '/v1/status/KIOS_ML_1679528285_4321' },
  { code: 'INVOICE_NOT_FOUND', name: 'unknown trx_id', method: 'GET', path: '/v1/status/trx-id/never-used' },
  { code: 'PRODUCT_NOT_FOUND', name: 'unknown product_code (order)', body: { ...ORDER, product_code: 'NOPE_1' } },
  { code: 'PRODUCT_NOT_FOUND', name: 'missing product_code (order)', body: { user_id: '123456789', server_id: '1234' } },
  { code: 'PRODUCT_NOT_FOUND', name: 'empty product_code (order)', body: { ...ORDER, product_code: '' } },
  { code: 'PRODUCT_NOT_FOUND', name: 'unknown product_code (GET /v1/product)', method: 'GET', path: '/v1/product?product_code=NOPE_1' },
  { code: 'PRODUCT_NOT_FOUND', name: 'unknown product_id (GET /v1/product)', method: 'GET', path: '/v1/product?product_id=00000000-0000-4000-8000-000000000000' },
  { code: 'PRODUCT_NOT_FOUND', name: 'neither product_code nor product_id (GET /v1/product)', method: 'GET', path: '/v1/product' },
  { code: 'NICKNAME_NOT_FOUND', name: 'the account check finds no nickname (simulator: user_id ending in 404)', body: { ...ORDER, user_id: '123456404' } },
  { code: 'IP_NOT_WHITELISTED', name: 'a whitelist without 127.0.0.1 (order)', as: 'fenced', body: ORDER },
  { code: 'IP_NOT_WHITELISTED', name: 'a whitelist without 127.0.0.1 (GET /v1/user)', as: 'fenced', method: 'GET', path: '/v1/user' },
  { code: 'DUPLICATE_TRX_ID', name: 'v1 with a trx_id already used', body: { ...ORDER, trx_id: 'used-trx' } },
  { code: 'DUPLICATE_TRX_ID', name: 'v1 with a used trx_id, whatever the other fields say', body: { product_code: 'FF70', user_id: '55555', trx_id: 'used-trx' } },
  { code: 'INSUFFICIENT_BALANCE', name: 'price above the balance', as: 'poor', body: ORDER },
  { code: 'INVALID_USER_ID', name: 'missing user_id', body: { product_code: 'S1_1187', server_id: '1234' } },
  { code: 'INVALID_USER_ID', name: 'malformed user_id (spaces, quotes)', body: { ...ORDER, user_id: "12 3'4" } },
  { code: 'INVALID_USER_ID', name: 'malformed user_id (negative number)', body: { ...ORDER, user_id: -5 } },
  { code: 'INVALID_USER_ID', name: 'the account check refuses the id (simulator: user_id starting with 0)', body: { ...ORDER, user_id: '0123456789' } },
  { code: 'INVALID_USER_ID', name: 'missing server_id for Mobile Legends', body: { product_code: 'S1_1187', user_id: '123456789' } },
  { code: 'INVALID_USER_ID', name: 'malformed server_id', body: { ...ORDER, server_id: '12 34' } },
  { code: 'PRODUCT_INACTIVE', name: 'inactive product S4_MLWDP', body: { ...ORDER, product_code: 'S4_MLWDP' } },
  { code: 'PRODUCT_INACTIVE', name: 'product HOK80 of an inactive category', body: { product_code: 'HOK80', user_id: '123456789' } },
  { code: 'INVALID_CALLBACK_URL', name: 'callback_url not a URL', body: { ...ORDER, callback_url: 'not a url' } },
  { code: 'INVALID_CALLBACK_URL', name: 'callback_url with ftp:', body: { ...ORDER, callback_url: 'ftp://example.com/callback' } },
  { code: 'INVALID_CALLBACK_URL', name: 'callback_url over 2048 characters', body: { ...ORDER, callback_url: `https://example.com/${'a'.repeat(2030)}` } },
  { code: 'INVALID_CALLBACK_URL', name: 'callback_url relative', body: { ...ORDER, callback_url: '/callback' } },
  { code: 'INVALID_CALLBACK_URL', name: 'callback_url not a string', body: { ...ORDER, callback_url: { url: 'https://example.com' } } },
  { code: 'PAYMENT_METHOD_NOT_ALLOWED', name: 'e-wallet product DANA10', body: { product_code: 'DANA10', user_id: '081234567890' } },
  { code: 'BAD_REQUEST', name: 'malformed JSON', rawBody: '{"product_code": "S1_1187", "user_id": ', headers: { 'content-type': 'application/json' } },
  { code: 'BAD_REQUEST', name: 'trx_id over 100 characters', body: { ...ORDER, trx_id: 'x'.repeat(101) } },
  { code: 'BAD_REQUEST', name: 'trx_id of the wrong type (object)', body: { ...ORDER, trx_id: { id: 1 } } },
  { code: 'BAD_REQUEST', name: 'trx_id of the wrong type (boolean)', body: { ...ORDER, trx_id: true } },
  { code: 'BAD_REQUEST', name: 'trx_id of the wrong type (array)', body: { ...ORDER, trx_id: ['a'] } },
  { code: 'BAD_REQUEST', name: 'trx_id of the wrong type (fraction)', body: { ...ORDER, trx_id: 1.5 } },
  { code: 'BAD_REQUEST', name: 'a body that is a JSON array', body: [ORDER] },
  { code: 'BAD_REQUEST', name: 'a body that is a JSON string', rawBody: '"S1_1187"', headers: { 'content-type': 'application/json' } },
  { code: 'BAD_REQUEST', name: 'product_code of the wrong type', body: { ...ORDER, product_code: ['S1_1187'] } },
  { code: 'BAD_REQUEST', name: 'category_id repeated in the query', method: 'GET', path: '/v1/products?category_id=a&category_id=b' },
];

describe.each(DIALECTS)('error codes (%s)', (dialect) => {
  let t: TestKios;
  let main: Reseller;
  let poor: Reseller;
  let fenced: Reseller;
  let sink: CallbackSink;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    sink = await CallbackSink.start();
    main = await t.reseller({ balance: 1_000_000 });
    poor = await t.reseller({ balance: 1_000 });
    fenced = await t.reseller({ balance: 1_000_000 });
    await t.kios.resellers.whitelist(fenced.id, 'add', '203.0.113.0/24');
    await t.kios.resellers.whitelist(fenced.id, 'add', '2001:db8::1');
    // The trx_id the DUPLICATE_TRX_ID cases reuse; settled, so nothing moves in the background.
    const used = await t.order(main.apiKey, { ...ORDER, trx_id: 'used-trx' });
    expect(used.status).toBe(201);
    await t.settle(used.json.data.invoice_number);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  function send(c: ErrorCase): Promise<HttpResult<any>> {
    const owner = c.as === 'poor' ? poor : c.as === 'fenced' ? fenced : main;
    const key = c.key === null ? undefined : (c.key ?? owner.apiKey);
    return t.request(c.method ?? 'POST', c.path ?? '/v1/order', {
      ...(key !== undefined ? { key } : {}),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
  }

  it.each(CASES.map((c) => [`${c.code}: ${c.name}`, c] as const))('%s', async (label, c) => {
    const before = await t.snapshot();
    const res = await send(c);
    expectErrorEnvelope(res, SPEC_ERROR_STATUS[c.code]!, c.code, label);
    expect(await t.snapshot(), `${label} changed nothing`).toEqual(before);
  });

  it('covers every code of the RULINGS table except those needing their own server (TOO_MANY_REQUESTS, SERVER_ERROR)', () => {
    const covered = new Set(CASES.map((c) => c.code));
    const missing = Object.keys(SPEC_ERROR_STATUS).filter((c) => !covered.has(c));
    expect(missing.sort()).toEqual(['SERVER_ERROR', 'TOO_MANY_REQUESTS']);
  });

  it('the same requests without their fault succeed (each error came from its fault)', async () => {
    // Unknown product -> a known one; missing server -> given; inactive -> active; the poor
    // reseller after a deposit; the fenced reseller once 127.0.0.1 is whitelisted; v1 with a
    // fresh trx_id; a callback URL that is a URL.
    const ok: Array<[string, Reseller, Record<string, unknown>]> = [
      ['known product', main, { ...ORDER, product_code: 'S4_ML86' }],
      ['server given', main, { ...ORDER }],
      ['active product of an active category', main, { product_code: 'FF70', user_id: '123456789' }],
      ['fresh trx_id', main, { ...ORDER, trx_id: 'fresh-trx' }],
      ['callback URL', main, { ...ORDER, callback_url: `${sink.url}/callback` }],
    ];
    await t.kios.resellers.deposit(poor.id, 10_000);
    ok.push(['deposit made', poor, ORDER]);
    await t.kios.resellers.whitelist(fenced.id, 'add', '127.0.0.1');
    ok.push(['whitelisted', fenced, ORDER]);
    for (const [name, r, body] of ok) {
      const res = await t.order(r.apiKey, body);
      expect(res.status, `${name}: ${res.text}`).toBe(201);
      await t.settle(res.json.data.invoice_number);
    }
  });
});

describe.each(DIALECTS)('TOO_MANY_REQUESTS (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { RATE_LIMIT_MAX: '5' });
  });
  afterAll(async () => t?.close());

  it('after RATE_LIMIT_MAX requests a reseller gets 429 TOO_MANY_REQUESTS, charged nothing; other resellers are unaffected', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const other = await t.reseller({ balance: 100_000 });
    for (let i = 0; i < 5; i++) {
      const res = await t.request('GET', '/v1/user', { key: r.apiKey });
      expect(res.status, `request ${i + 1}`).toBe(200);
    }
    const before = await t.snapshot();
    const limited = await t.order(r.apiKey, ORDER);
    expectErrorEnvelope(limited, 429, 'TOO_MANY_REQUESTS', 'order over the limit');
    expect(await t.snapshot()).toEqual(before);
    const again = await t.request('GET', '/v1/user', { key: r.apiKey });
    expectErrorEnvelope(again, 429, 'TOO_MANY_REQUESTS', 'GET over the limit');
    const fine = await t.request('GET', '/v1/user', { key: other.apiKey });
    expect(fine.status).toBe(200);
  });
});

describe.each(DIALECTS)('SERVER_ERROR (%s)', (dialect) => {
  let t: TestKios;
  const logLines: string[] = [];
  beforeAll(async () => {
    const log = pino({ level: 'error' }, { write: (line: string) => void logLines.push(line) });
    t = await TestKios.start(dialect, {}, { log });
  });
  afterAll(async () => t?.close());

  it('an unexpected failure is a 500 with exactly the envelope, no stack or internal message; it is logged, and changes nothing', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const db = t.kios.db.kysely;
    // Works before the fault...
    expect((await t.request('GET', '/v1/category', { key: r.apiKey })).status).toBe(200);
    await sql`alter table categories rename to categories_gone`.execute(db);
    try {
      const before = await t.snapshot();
      const requests: Array<[string, () => Promise<HttpResult<any>>]> = [
        ['GET /v1/category', () => t.request('GET', '/v1/category', { key: r.apiKey })],
        ['GET /v1/products', () => t.request('GET', '/v1/products', { key: r.apiKey })],
        ['GET /v1/product', () => t.request('GET', '/v1/product?product_code=S1_1187', { key: r.apiKey })],
        ['POST /v1/order', () => t.order(r.apiKey, ORDER)],
        ['POST /v2/order', () => t.order(r.apiKey, { ...ORDER, trx_id: 'fails' }, 'v2')],
      ];
      for (const [name, send] of requests) {
        const res = await send();
        expectErrorEnvelope(res, 500, 'SERVER_ERROR', name);
        expect(res.text, name).toBe('{"statusCode":500,"message":"SERVER_ERROR","error":"Internal Server Error"}');
        expect(res.headers.get('content-type')).toBe(JSON_CONTENT_TYPE);
      }
      expect(await t.snapshot()).toEqual(before);
      // ... while the operator's log has the cause.
      const errors = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'unexpected error');
      expect(errors.length).toBeGreaterThanOrEqual(requests.length);
      expect(JSON.stringify(errors)).toMatch(/categor/);
    } finally {
      await sql`alter table categories_gone rename to categories`.execute(db);
    }
    // ... and works again once the fault is gone.
    expect((await t.request('GET', '/v1/category', { key: r.apiKey })).status).toBe(200);
    const ok = await t.order(r.apiKey, ORDER);
    expect(ok.status).toBe(201);
    await t.settle(ok.json.data.invoice_number);
  });
});
