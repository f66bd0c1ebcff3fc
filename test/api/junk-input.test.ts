import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { expectClientErrorEnvelope, expectErrorEnvelope, expectNoTrace, JSON_CONTENT_TYPE, rawRequest } from '../helpers/json-api.js';
import { TestKios, type HttpResult, type Reseller } from '../helpers/kios.js';

/**
 * RULINGS section 1: "No input, however malformed, produces a 500 or a stack trace." Junk is
 * generated systematically (every order field x every junk value, every lookup parameter x every
 * junk string, bodies, methods, routes, headers), and every answer must be a 4xx in our JSON
 * envelope with a code of the table, with orders, ledger, jobs and balances untouched.
 */

/** Strings that are not a valid value of any order field (each is checked against every field). */
const STRING_JUNK: Array<[string, string]> = [
  ['SQL: quote OR 1=1', "' OR 1=1 --"],
  ['SQL: stacked DROP TABLE', '1; DROP TABLE orders'],
  ['SQL: double-quote tautology', '" OR ""="'],
  ['SQL: UNION SELECT', "1' UNION SELECT api_key_enc FROM resellers--"],
  ['SQL: comment and semicolon', "admin'/*"],
  ['emoji', '😀🔥💎'],
  ['RTL override before digits', '\u202E123456789'],
  ['RTL mark after digits', '123456789\u200F'],
  ['zero-width joiner inside', '1234\u200D56789'],
  ['NUL byte inside', '123\u0000456'],
  ['NUL byte alone', '\u0000'],
  ['control characters', '\u0001\u0002\u001b[31m'],
  ['CRLF header injection', '123\r\nX-Injected: yes'],
  ['combining characters', 'e\u0301\u0301\u0301\u0301'],
  ['zalgo', 'Z̸̢̛̛a̵̡l̴̨g̶̢o̷̧'],
  ['full-width digits', '１２３４５６７８９'],
  ['lone surrogate', '\ud800'],
  ['HTML/script', '<script>alert(1)</script>'],
  ['backslash path traversal', '..\\..\\windows\\win.ini'],
  ['template / JNDI', '${jndi:ldap://example.invalid/a}'],
  ['percent-encoded NUL', '%00'],
  ['NoSQL operator as text', '{"$ne":null}'],
  ['5,000 characters', 'x'.repeat(5_000)],
  ['3,000 astral characters', '𝕏'.repeat(3_000)],
  ['60,000 characters (under the body limit)', '7'.repeat(60_000)],
];

/** Values of the wrong JSON type (non-negative whole numbers are deliberately accepted as ids). */
const TYPE_JUNK: Array<[string, unknown]> = [
  ['negative number', -1],
  ['fraction', 1.5],
  ['huge number', 1e300],
  ['integer beyond 2^53', 12345678901234567890],
  ['true', true],
  ['false', false],
  ['empty array', []],
  ['array of a valid value', ['S1_1187']],
  ['array of null', [null]],
  ['empty object', {}],
  ['object', { value: '123456789' }],
  ['NoSQL operator object', { $ne: null }],
  ['nested arrays', [[[[[]]]]]],
];

/** Absent-like values: junk only where the field is required. */
const ABSENT: Array<[string, unknown]> = [
  ['null', null],
  ['empty string', ''],
  ['whitespace', '   \t '],
];

type Field = 'product_code' | 'user_id' | 'server_id' | 'trx_id' | 'callback_url';

/** What RULINGS says each bad field is: the published code where one fits, else BAD_REQUEST. */
const FIELD_CODES: Record<Field, string[]> = {
  product_code: ['PRODUCT_NOT_FOUND', 'BAD_REQUEST'],
  user_id: ['INVALID_USER_ID'],
  // Mobile Legends needs a server, so a bad or missing one is INVALID_USER_ID.
  server_id: ['INVALID_USER_ID'],
  trx_id: ['BAD_REQUEST'],
  callback_url: ['INVALID_CALLBACK_URL'],
};
const REQUIRED: Field[] = ['product_code', 'user_id', 'server_id'];

const FIELD_EXTRAS: Partial<Record<Field, Array<[string, unknown]>>> = {
  callback_url: [
    ['scheme only', 'http://'],
    ['javascript:', 'javascript:alert(1)'],
    ['file:', 'file:///etc/passwd'],
    ['ftp:', 'ftp://example.com/cb'],
    ['data:', 'data:text/plain,hi'],
    ['unclosed IPv6 host', 'http://[::1'],
    ['protocol-relative', '//example.com/cb'],
    ['space in host', 'http://exa mple.com/'],
    ['over 2048 characters', `https://example.com/${'a'.repeat(2_100)}`],
  ],
  trx_id: [
    ['101 characters', 'a'.repeat(101)],
    ['space inside', 'trx 1'],
    ['quote inside', "trx'1"],
  ],
  user_id: [['leading dash', '-123456789']],
  product_code: [['space inside', 'S1 1187']],
};

/** Junk aimed at URL parsing itself: percent-encoding that does not decode. */
const BAD_PERCENT = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%ED%A0%80', '%FF%FE', '%25%', 'a%2'];

function encodable(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** The junk strings as URL components, percent-encoded: the junk reaches the route as it is. */
const PATH_JUNK: Array<[string, string]> = [
  ...STRING_JUNK.filter(([, v]) => encodable(v) && v.length <= 5_000).map(([n, v]) => [`${n} (encoded)`, encodeURIComponent(v)] as [string, string]),
  ...BAD_PERCENT.map((v) => [`bad percent-encoding ${v}`, v] as [string, string]),
];
/**
 * The same strings raw: the URL parser gets them first (it strips trailing control characters,
 * turns `\` into `/`, encodes the rest), so they may not reach the route at all.
 */
const RAW_PATH_JUNK: Array<[string, string]> = STRING_JUNK.filter(([, v]) => v.length <= 100 && !/[#?/]/.test(v)).map(([n, v]) => [`${n} (raw)`, v] as [string, string]);

describe.each(DIALECTS)('junk input (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  let r: Reseller;
  let base: Record<string, unknown>;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    sink = await CallbackSink.start();
    r = await t.reseller({ balance: 1_000_000 });
    base = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: 'junk-base', callback_url: `${sink.url}/callback` };
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  /** Sends, checks the 4xx envelope and that nothing changed; returns the code. */
  async function expectRejected(label: string, send: () => Promise<HttpResult>, codes?: string[]): Promise<string> {
    const before = await t.snapshot();
    const res = await send();
    const code = expectClientErrorEnvelope(res, label);
    if (codes) expect(codes, `${label}: ${res.text.slice(0, 200)}`).toContain(code);
    expect(await t.snapshot(), `${label} changed nothing`).toEqual(before);
    return code;
  }

  describe('order fields x junk values', () => {
    const fields = Object.keys(FIELD_CODES) as Field[];
    const matrix = fields.flatMap((field) =>
      (['v1', 'v2'] as const).map((version) => {
        const values: Array<[string, unknown]> = [...STRING_JUNK, ...TYPE_JUNK, ...(REQUIRED.includes(field) ? ABSENT : []), ...(FIELD_EXTRAS[field] ?? [])];
        return [`${version} ${field} (${values.length} values)`, field, version, values] as const;
      }),
    );

    it.each(matrix)('%s', async (_label, field, version, values) => {
      for (const [name, value] of values) {
        const body = { ...base, [field]: value };
        await expectRejected(`${version} ${field} = ${name}`, () => t.order(r.apiKey, body, version), FIELD_CODES[field]);
      }
      // The field left out altogether.
      if (REQUIRED.includes(field)) {
        const { [field]: _dropped, ...rest } = base;
        await expectRejected(`${version} without ${field}`, () => t.order(r.apiKey, rest, version), FIELD_CODES[field]);
      }
    });

    it.each(Object.keys(FIELD_CODES) as Field[])('form-encoded: %s x junk strings', async (field) => {
      for (const [name, value] of [...STRING_JUNK.filter(([, v]) => encodable(v)), ...(FIELD_EXTRAS[field] ?? []).filter(([, v]) => typeof v === 'string')]) {
        const form = new URLSearchParams({ ...(base as Record<string, string>), [field]: value as string }).toString();
        await expectRejected(`form ${field} = ${name}`, () => t.request('POST', '/v1/order', { key: r.apiKey, rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), FIELD_CODES[field]);
      }
    });

    it('every field junk at once', async () => {
      for (const [name, value] of [...STRING_JUNK, ...TYPE_JUNK]) {
        const body = Object.fromEntries(Object.keys(base).map((k) => [k, value]));
        await expectRejected(`all fields = ${name}`, () => t.order(r.apiKey, body));
      }
    });
  });

  describe('malformed bodies', () => {
    const json = { 'content-type': 'application/json' };
    const bodies: Array<[string, string, Record<string, string>]> = [
      ['unterminated object', '{"product_code":"S1_1187"', json],
      ['trailing comma', '{"product_code":"S1_1187",}', json],
      ['single quotes', "{'product_code':'S1_1187'}", json],
      ['NaN', 'NaN', json],
      ['undefined', 'undefined', json],
      ['a bare number', '12345', json],
      ['a bare string', '"S1_1187"', json],
      ['true', 'true', json],
      ['a JSON array of orders', '[{"product_code":"S1_1187","user_id":"123456789","server_id":"1234"}]', json],
      ['NUL bytes', '\u0000\u0000\u0000', json],
      ['binary garbage', '\u00ff\u00fe\u0000\u0001garbage', json],
      ['deeply nested arrays', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, json],
      ['deeply nested objects', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, json],
      ['an order hidden in __proto__', '{"__proto__":{"product_code":"S1_1187","user_id":"123456789","server_id":"1234"}}', json],
      ['user_id hidden in constructor.prototype', '{"product_code":"S1_1187","server_id":"1234","constructor":{"prototype":{"user_id":"123456789"}}}', json],
      ['user_id of 1e400 (Infinity)', '{"product_code":"S1_1187","user_id":1e400,"server_id":"1234"}', json],
      ['XML', '<order><product_code>S1_1187</product_code></order>', { 'content-type': 'application/xml' }],
      ['JSON declared UTF-16', '{}', { 'content-type': 'application/json; charset=utf-16' }],
      ['multipart without parts', '--x\r\n', { 'content-type': 'multipart/form-data; boundary=x' }],
      ['an unparseable content type', '{}', { 'content-type': 'garbage/////' }],
      ['text/html', '<html></html>', { 'content-type': 'text/html' }],
      ['form-encoded garbage', '%%%&&==%E&=&', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['malformed JSON sent as form-encoded', '{"product_code":"S1_1187",', { 'content-type': 'application/x-www-form-urlencoded' }],
    ];
    it.each(bodies)('%s', async (name, rawBody, headers) => {
      for (const version of ['v1', 'v2']) {
        await expectRejected(`${version} ${name}`, () => t.request('POST', `/${version}/order`, { key: r.apiKey, rawBody, headers }));
      }
    });

    it('bodies over BODY_LIMIT are 413 PAYLOAD_TOO_LARGE, however they are sent', async () => {
      const limit = t.kios.config.bodyLimit;
      const big = JSON.stringify({ ...base, user_id: '1'.repeat(limit) });
      const sends: Array<[string, () => Promise<HttpResult>]> = [
        ['JSON order v1', () => t.request('POST', '/v1/order', { key: r.apiKey, rawBody: big, headers: { 'content-type': 'application/json' } })],
        ['JSON order v2', () => t.request('POST', '/v2/order', { key: r.apiKey, rawBody: big, headers: { 'content-type': 'application/json' } })],
        ['form order', () => t.request('POST', '/v1/order', { key: r.apiKey, rawBody: `user_id=${'1'.repeat(limit)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
        ['text/plain order', () => t.request('POST', '/v1/order', { key: r.apiKey, rawBody: big, headers: { 'content-type': 'text/plain' } })],
        ['no content type', () => rawRequest(t.url, 'POST', '/v1/order', { authorization: r.apiKey }, big)],
        ['chunked, no length', () => rawRequest(t.url, 'POST', '/v1/order', { authorization: r.apiKey, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, big)],
        ['POST /v1/products', () => t.request('POST', '/v1/products', { key: r.apiKey, rawBody: big, headers: { 'content-type': 'application/json' } })],
        ['an unknown route', () => t.request('POST', '/v1/nothing-here', { key: r.apiKey, rawBody: big, headers: { 'content-type': 'application/json' } })],
        ['10 MB', () => t.request('POST', '/v1/order', { key: r.apiKey, rawBody: 'x'.repeat(10 * 1024 * 1024), headers: { 'content-type': 'application/json' } })],
      ];
      for (const [name, send] of sends) {
        const before = await t.snapshot();
        expectErrorEnvelope(await send(), 413, 'PAYLOAD_TOO_LARGE', name);
        expect(await t.snapshot(), name).toEqual(before);
      }
      // Without a key the body is never read: API_KEY_NOT_FOUND.
      expectErrorEnvelope(await t.request('POST', '/v1/order', { rawBody: big, headers: { 'content-type': 'application/json' } }), 404, 'API_KEY_NOT_FOUND', 'no key');
    });
  });

  describe('lookup parameters x junk', () => {
    const lookups: Array<[string, (v: string) => string, string[]]> = [
      ['GET /v1/status/:invoice_number', (v) => `/v1/status/${v}`, ['INVOICE_NOT_FOUND', 'BAD_REQUEST']],
      ['GET /v1/status/trx-id/:trx_id', (v) => `/v1/status/trx-id/${v}`, ['INVOICE_NOT_FOUND', 'BAD_REQUEST']],
      ['GET /v1/product?product_code=', (v) => `/v1/product?product_code=${v}`, ['PRODUCT_NOT_FOUND', 'BAD_REQUEST']],
      ['GET /v1/product?product_id=', (v) => `/v1/product?product_id=${v}`, ['PRODUCT_NOT_FOUND', 'BAD_REQUEST']],
    ];

    it.each(lookups)('%s', async (name, path, codes) => {
      const before = await t.snapshot();
      for (const [label, v] of PATH_JUNK) {
        const res = await t.request('GET', path(v), { key: r.apiKey });
        const code = expectClientErrorEnvelope(res, `${name} ${label}`);
        expect(codes, `${name} ${label}`).toContain(code);
      }
      for (const [label, v] of RAW_PATH_JUNK) {
        const res = await t.request('GET', path(v), { key: r.apiKey });
        const code = expectClientErrorEnvelope(res, `${name} ${label}`);
        expect([...codes, 'ROUTE_NOT_FOUND'], `${name} ${label}`).toContain(code);
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('GET /v1/products?category_id= junk: an empty list or BAD_REQUEST, never more', async () => {
      const before = await t.snapshot();
      for (const [label, v] of [...PATH_JUNK, ['repeated', 'a&category_id=b'] as [string, string]]) {
        const res = await t.request('GET', `/v1/products?category_id=${v}`, { key: r.apiKey });
        expectNoTrace(res.text, label);
        expect(res.headers.get('content-type'), label).toBe(JSON_CONTENT_TYPE);
        if (res.status === 200) expect(res.json, label).toEqual({ statusCode: 200, message: 'success', data: [] });
        else expect(expectClientErrorEnvelope(res, label), label).toBe('BAD_REQUEST');
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('POST /v1/products with a junk category_id (strings and wrong types): an empty list or BAD_REQUEST', async () => {
      const before = await t.snapshot();
      for (const [label, v] of [...STRING_JUNK, ...TYPE_JUNK]) {
        const res = await t.request('POST', '/v1/products', { key: r.apiKey, body: { category_id: v } });
        expectNoTrace(res.text, label);
        if (res.status === 200) expect(res.json, label).toEqual({ statusCode: 200, message: 'success', data: [] });
        else expect(expectClientErrorEnvelope(res, label), label).toBe('BAD_REQUEST');
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('a URL longer than the header limit is BAD_REQUEST in the envelope', async () => {
      for (const path of [`/v1/status/${'x'.repeat(20_000)}`, `/v1/product?product_code=${'%F0%9F%98%80'.repeat(3_000)}`]) {
        const res = await t.request('GET', path, { key: r.apiKey });
        expectErrorEnvelope(res, 400, 'BAD_REQUEST', path.slice(0, 40));
      }
    });
  });

  describe('routes, methods and headers', () => {
    // `/`, `/member` and `/admin` are the dashboards' pages now (test/web/serving.test.ts).
    const unknown = ['/v1', '/v1/', '/v3/order', '/v1/orders', '/V1/USER', '/v1/user/extra', '/v1/status', '/administrator', '/members', '/.env', '/v1/products/x', '/%2e%2e/%2e%2e/etc/passwd', '/v1/order%00', '/😀'];

    it.each(unknown)('unknown route %s is 404 ROUTE_NOT_FOUND, with or without a key', async (path) => {
      for (const key of [r.apiKey, undefined]) {
        for (const method of ['GET', 'POST']) {
          const res = await t.request(method, path, { ...(key ? { key } : {}) });
          expectErrorEnvelope(res, 404, 'ROUTE_NOT_FOUND', `${method} ${path}`);
        }
      }
    });

    it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'FOO', 'M-SEARCH'])('method %s on every endpoint is a 4xx envelope', async (method) => {
      const before = await t.snapshot();
      for (const path of ['/v1/order', '/v2/order', '/v1/user', '/v1/products', '/v1/category', '/v1/product?product_code=S1_1187', '/v1/status/X', '/v1/status/trx-id/X']) {
        const res = await t.request(method, path, { key: r.apiKey, body: base });
        expectClientErrorEnvelope(res, `${method} ${path}`);
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('junk Authorization headers are API_KEY_NOT_FOUND', async () => {
      const keys = ["' OR 1=1 --", '1; DROP TABLE resellers', '{"$ne":null}', 'null', 'undefined', 'Bearer', 'Bearer ', `Bearer ${'x'.repeat(300)}`, 'x'.repeat(5_000), '\u00ff\u00fe\u00e9', '%00', 'kios_*', "kios_' OR '1'='1"];
      const before = await t.snapshot();
      for (const key of keys) {
        expectErrorEnvelope(await t.request('GET', '/v1/user', { key }), 404, 'API_KEY_NOT_FOUND', key.slice(0, 30));
        expectErrorEnvelope(await t.order(key, base), 404, 'API_KEY_NOT_FOUND', key.slice(0, 30));
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('requests Node itself cannot parse get the envelope too', async () => {
      const u = new URL(t.url);
      const send = (raw: string) =>
        new Promise<string>((resolve) => {
          const c = connect(Number(u.port), u.hostname, () => c.end(raw));
          let d = '';
          c.on('data', (b: Buffer) => (d += b.toString('utf8')));
          c.on('close', () => resolve(d));
          c.on('error', () => resolve(d));
        });
      const requests = [
        'GET /v1/user HTTP/1.1\r\nHost: x\r\nAuthorization: a\u0000b\r\n\r\n',
        'FOO /v1/user HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v1/status/\u0001 HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v1/user HTTP/9.9\r\nHost: x\r\n\r\n',
        'POST /v1/order HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
        'POST /v1/order HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'garbage\r\n\r\n',
      ];
      const before = await t.snapshot();
      for (const raw of requests) {
        const reply = await send(raw);
        // The first response on the connection (its Content-Length bytes).
        const split = reply.indexOf('\r\n\r\n');
        const head = reply.slice(0, split);
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1]);
        const body = Buffer.from(reply.slice(split + 4)).subarray(0, length).toString('utf8');
        const label = JSON.stringify(raw.slice(0, 40));
        expect(head, label).toMatch(/^HTTP\/1\.1 4\d\d /);
        expect(head.toLowerCase(), label).toContain(`content-type: ${JSON_CONTENT_TYPE}`);
        const status = Number(head.slice(9, 12));
        expectClientErrorEnvelope({ status, headers: new Headers({ 'content-type': JSON_CONTENT_TYPE }), text: body, json: JSON.parse(body) }, label);
      }
      expect(await t.snapshot()).toEqual(before);
    });
  });

  it('after all that, the same reseller and the base order still work (tables intact, nothing left behind)', async () => {
    const before = await t.snapshot();
    expect(before).toMatchObject({ orders: 0, ledger: 1, jobs: 0 });
    for (const version of ['v1', 'v2'] as const) {
      const res = await t.order(r.apiKey, { ...base, trx_id: `junk-base-${version}` }, version);
      expect(res.status, res.text).toBe(201);
      await t.settle(res.json.data.invoice_number);
    }
    expect(await t.balance(r.id)).toBe(1_000_000 - 2 * 1511);
    await t.expectLedgerConsistent();
  });
});
