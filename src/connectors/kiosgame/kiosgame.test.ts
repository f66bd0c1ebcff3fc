import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpAnswer } from '../kit/http.js';
import type { StatusOutcome } from '../types.js';
import { kiosgameConfigSchema, kiosgameFactory } from './index.js';
import { invoiceOutcome, orderAnswer, statusAnswer } from './mapping.js';
import { signature, verifySignature } from './protocol.js';

const REF = 'ord_01jexample-1';

/** The Callback API example of the published collection, and its snippet, as written there. */
const DOC_CALLBACK = {
  invoice_number: 'APIKUY_XX_1679528285_4321',
  trx_id: null,
  response_note: 'Nickname - 123456789(1234) . RefId: XX_1679528285_1234',
  category: { title: 'Mobile Legends', subtitle: null, type: 'game' },
  product: { name: '5 (5+0) Diamonds', code: 'S1_1187', price: 1511 },
  user_input: { user_id: '123456789', server_id: '1234', nickname: 'Nickname' },
  balance: 12345678,
  amount: 1511,
  status: 'SUCCESS',
  voucher: null,
  created_at: '2023-03-22T23:38:05.000Z',
};

describe('Kiosgame callback signature', () => {
  it('is the published snippet: hex HMAC-SHA256 of JSON.stringify(data) keyed with the API key (vector from Python hmac)', () => {
    const published = createHmac('sha256', '{apikey}').update(JSON.stringify(DOC_CALLBACK)).digest('hex');
    expect(published).toBe('a97e54bfc468f02ed28dd49682c13fd8ae49f49956f3fc4dc74980d79f53359a');
    expect(signature(JSON.stringify(DOC_CALLBACK), '{apikey}')).toBe(published);
  });

  it('verifies the raw body, or the documented formula over a re-indented body; nothing else', () => {
    const raw = JSON.stringify(DOC_CALLBACK);
    const sig = signature(raw, '{apikey}');
    expect(verifySignature(raw, sig, '{apikey}')).toBe(true);
    expect(verifySignature(raw, sig.toUpperCase(), '{apikey}')).toBe(true);
    expect(verifySignature(JSON.stringify(DOC_CALLBACK, null, 2), sig, '{apikey}')).toBe(true);
    expect(verifySignature(raw.replace('SUCCESS', 'FAILED'), sig, '{apikey}')).toBe(false);
    expect(verifySignature(raw, sig, 'another-key')).toBe(false);
    expect(verifySignature(raw, undefined, '{apikey}')).toBe(false);
    expect(verifySignature(raw, 'sha256=' + sig, '{apikey}')).toBe(false);
    expect(verifySignature('not json', signature('x', '{apikey}'), '{apikey}')).toBe(false);
  });
});

const answered = (status: number, json: unknown): HttpAnswer => ({ kind: 'answered', status, text: JSON.stringify(json), json });
const error = (status: number, code: string) => answered(status, { statusCode: status, message: code, error: 'x' });
const invoice = (status: string, extra: Record<string, unknown> = {}) => ({
  invoice_number: 'TOSS_ML_1700000000_0001',
  trx_id: REF,
  response_note: 'Nick - 123(1) . RefId: ABC123',
  category: { title: 'Mobile Legends', subtitle: null, type: 'game' },
  product: { name: 'x', code: 'S4_ML86', price: 18000 },
  user_input: { user_id: '123', server_id: '1', nickname: 'Nick' },
  amount: 18000,
  status,
  voucher: null,
  created_at: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const describeOutcome = (o: StatusOutcome) => (o.kind === 'failed' ? `failed:${o.scope}` : o.kind === 'pending' && o.ambiguous ? 'pending:ambiguous' : o.kind);

/**
 * RULINGS section 5, written here independently: the codes that prove nothing was bought when
 * answered to POST /v2/order, with whose problem each is; every other answer is undecided.
 */
const ORDER_ERRORS: [code: string, http: number, expected: string][] = [
  ['API_KEY_NOT_FOUND', 404, 'failed:account'],
  ['IP_NOT_WHITELISTED', 403, 'failed:account'],
  ['PRODUCT_NOT_FOUND', 404, 'failed:route'],
  ['PRODUCT_INACTIVE', 400, 'failed:route'],
  ['INSUFFICIENT_BALANCE', 400, 'failed:route'],
  ['INVALID_USER_ID', 400, 'failed:destination'],
  ['NICKNAME_NOT_FOUND', 404, 'failed:destination'],
  ['PAYMENT_METHOD_NOT_ALLOWED', 400, 'failed:route'],
  ['INVALID_CALLBACK_URL', 400, 'failed:account'],
  ['BAD_REQUEST', 400, 'failed:route'],
  ['TOO_MANY_REQUESTS', 429, 'pending:ambiguous'],
  ['SERVER_ERROR', 500, 'pending:ambiguous'],
  ['DUPLICATE_TRX_ID', 409, 'pending'],
  ['INVOICE_NOT_FOUND', 404, 'pending:ambiguous'],
];

describe('Kiosgame answers to POST /v2/order', () => {
  it.each(ORDER_ERRORS)('%s (HTTP %d) -> %s', (code, http, expected) => {
    const o = orderAnswer(error(http, code), REF);
    expect(describeOutcome(o)).toBe(expected);
    if (o.kind === 'failed') expect(o.reason).toMatch(new RegExp(`^${code}`));
  });

  it('a documented code with another HTTP status than documented is undecided (a proxy, not the platform)', () => {
    expect(orderAnswer(error(200, 'PRODUCT_INACTIVE'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(error(502, 'PRODUCT_INACTIVE'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(answered(400, { statusCode: 404, message: 'PRODUCT_INACTIVE' }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('timeouts, 5xx, unknown codes and unreadable bodies are undecided', () => {
    expect(orderAnswer({ kind: 'no_answer', error: 'no answer in time' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(answered(503, { statusCode: 503, message: 'SERVICE_UNAVAILABLE' }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(error(404, 'ROUTE_NOT_FOUND'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer({ kind: 'answered', status: 400, text: '<html>', json: undefined }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(answered(201, { statusCode: 200, message: 'success' }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it.each([
    ['SUCCESS', 'success'],
    ['PARTIAL_SUCCESS', 'partial'],
    ['FAILED', 'failed:route'],
    ['REFUNDED', 'reversed'],
    ['PENDING', 'pending'],
    ['PAID', 'pending'],
    ['SOMETHING_NEW', 'pending'],
  ])('an invoice with status %s -> %s', (status, expected) => {
    for (const http of [200, 201]) expect(describeOutcome(orderAnswer(answered(http, { statusCode: 200, message: 'success', data: invoice(status) }), REF))).toBe(expected);
  });

  it('an invoice about another trx_id decides nothing', () => {
    expect(orderAnswer(answered(201, { statusCode: 200, message: 'success', data: invoice('SUCCESS', { trx_id: 'someone-else' }) }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderAnswer(answered(201, { statusCode: 200, message: 'success', data: invoice('FAILED', { trx_id: null }) }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('success carries the platform invoice number as supplier reference and the voucher; failures the reason after the RefId', () => {
    expect(invoiceOutcome(invoice('SUCCESS', { voucher: 'ABCD-1234' }) as never, REF)).toEqual({ kind: 'success', supplierRef: 'TOSS_ML_1700000000_0001', sn: 'ABCD-1234', voucher: 'ABCD-1234' });
    expect(invoiceOutcome(invoice('FAILED', { response_note: 'Nick - 123(1) . RefId: ABC123 . Stok habis' }) as never, REF)).toMatchObject({ kind: 'failed', reason: 'Stok habis' });
    // kios's own partial note gives the delivered share; otherwise half.
    expect(invoiceOutcome(invoice('PARTIAL_SUCCESS', { response_note: 'x . RefId: A . Terkirim sebagian 2/3' }) as never, REF)).toMatchObject({ kind: 'partial', delivered: 2, total: 3 });
    expect(invoiceOutcome(invoice('PARTIAL_SUCCESS') as never, REF)).toMatchObject({ kind: 'partial', delivered: 1, total: 2 });
  });
});

describe('Kiosgame status by trx_id', () => {
  it('INVOICE_NOT_FOUND (404) means never received; anything unreadable stays undecided', () => {
    expect(statusAnswer(error(404, 'INVOICE_NOT_FOUND'), REF).kind).toBe('not_found');
    expect(statusAnswer(error(404, 'API_KEY_NOT_FOUND'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(statusAnswer(answered(404, 'Not Found'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(statusAnswer(error(500, 'SERVER_ERROR'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(statusAnswer({ kind: 'no_answer', error: 'x' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(statusAnswer(answered(200, { statusCode: 200, message: 'success', data: invoice('SUCCESS') }), REF).kind).toBe('success');
  });
});

describe('Kiosgame requests', () => {
  let server: Server;
  let url: string;
  const received: { method: string; path: string; auth: string | undefined; body: string }[] = [];
  let reply: (path: string) => [number, unknown] = () => [200, {}];
  const dispatcher = new Agent();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body });
        const [status, json] = reply(req.url ?? '');
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dispatcher.close();
  });

  const connector = (extra: Record<string, unknown> = {}, callbackUrl: string | null = null) =>
    kiosgameFactory.create(kiosgameConfigSchema.parse({ base_url: url, api_key: 'kg-secret-key-abcdef', ...extra }), { supplierId: 'tg', log: pino({ level: 'silent' }), timeoutMs: 2000, dataDir: '/tmp', callbackUrl, dispatcher });

  it('orders go to POST /v2/order with the raw API key, the attempt reference as trx_id and kios\'s callback URL', async () => {
    reply = () => [201, { statusCode: 200, message: 'success', data: invoice('PENDING') }];
    const call = { exchanges: [] as never[] };
    const o = await connector({}, 'https://kios.example.com/suppliers/tg/callback').purchase({ ref: REF, sku: 'S4_ML86', userId: '123456789', serverId: '1234', inputs: [], price: 18624, cost: 18000 }, call);
    expect(o).toEqual({ kind: 'pending', supplierRef: 'TOSS_ML_1700000000_0001', reason: 'PENDING' });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      path: '/v2/order',
      auth: 'kg-secret-key-abcdef',
      body: JSON.stringify({ product_code: 'S4_ML86', user_id: '123456789', server_id: '1234', trx_id: REF, callback_url: 'https://kios.example.com/suppliers/tg/callback' }),
    });
    expect(JSON.stringify(call.exchanges)).not.toContain('kg-secret-key-abcdef');
    // No server: no server_id; `callback_url: false`: none sent.
    await connector({ callback_url: false }, 'https://ignored').purchase({ ref: REF, sku: 'FF70', userId: '99', serverId: null, inputs: [], price: 1, cost: null }, { exchanges: [] });
    expect(JSON.parse(received.at(-1)!.body)).toEqual({ product_code: 'FF70', user_id: '99', trx_id: REF });
  });

  it('status is GET /v1/status/trx-id/<ref>; balance is /v1/user', async () => {
    reply = (path) => (path.startsWith('/v1/user') ? [200, { statusCode: 200, message: 'success', data: { user_balance: 1234567 } }] : [404, { statusCode: 404, message: 'INVOICE_NOT_FOUND', error: 'Not Found' }]);
    expect(await connector().status({ ref: REF, sku: 'x', userId: '1', serverId: null, inputs: [], price: 1, cost: null, supplierRef: null }, { exchanges: [] })).toEqual({ kind: 'not_found' });
    expect(received.at(-1)).toMatchObject({ method: 'GET', path: `/v1/status/trx-id/${REF}`, auth: 'kg-secret-key-abcdef' });
    expect(await connector().balance!({ exchanges: [] })).toBe(1_234_567);
    reply = () => [404, { statusCode: 404, message: 'API_KEY_NOT_FOUND', error: 'Not Found' }];
    await expect(connector().balance!({ exchanges: [] })).rejects.toThrow('HTTP 404: API_KEY_NOT_FOUND');
  });

  it('callbacks: verified by x-signature with the account\'s API key, then read', () => {
    const c = connector();
    const body = JSON.stringify({ ...DOC_CALLBACK, trx_id: REF });
    const req = (rawBody: string, sig?: string, method = 'POST') => ({ method, headers: sig ? { 'x-signature': sig } : {}, rawBody, query: {}, ip: '127.0.0.1' });
    expect(c.parseCallback!(req(body, signature(body, 'kg-secret-key-abcdef')))).toEqual({ kind: 'outcome', ref: REF, outcome: { kind: 'success', supplierRef: 'APIKUY_XX_1679528285_4321', sn: null, voucher: null } });
    expect(c.parseCallback!(req(body, signature(body, 'other')))).toMatchObject({ kind: 'refused', status: 401 });
    expect(c.parseCallback!(req(body))).toMatchObject({ kind: 'refused', status: 401 });
    expect(c.parseCallback!(req(body, signature(body, 'kg-secret-key-abcdef'), 'GET'))).toMatchObject({ kind: 'refused', status: 400 });
    const docBody = JSON.stringify(DOC_CALLBACK); // trx_id null: not an order of ours
    expect(c.parseCallback!(req(docBody, signature(docBody, 'kg-secret-key-abcdef')))).toMatchObject({ kind: 'refused', status: 400 });
  });
});
