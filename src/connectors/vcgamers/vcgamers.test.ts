import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BRANDS, FakeCatalog } from '../../../test/fakes/catalog.js';
import { VcgamersFake } from '../../../test/fakes/vcgamers.js';
import { CallbackSink } from '../../../test/helpers/callback-sink.js';
import { eventually } from '../../../test/helpers/wait.js';
import type { HttpAnswer } from '../kit/http.js';
import type { CallContext, InboundRequest, PurchaseInput, SupplierConnector, SupplierOutcome, SupplierProduct } from '../types.js';
import { brandForm, splitSku, vcgamersConfigSchema, vcgamersFactory } from './index.js';
import { orderAnswer, orderStatusOutcome, statusAnswer } from './mapping.js';
import { DEVELOPMENT_URL, PRODUCTION_URL, sign } from './protocol.js';

const REF = 'ord_01jvcgexample-1';

describe('VCGamers signature', () => {
  // The collection's own inputs (its "Signing Example").
  const secret = 'YourVerySecretKey';
  const price = 9999;
  const qty = 1;
  const product = 'VCGS33-S22';
  const total = price * qty;

  /**
   * Vectors computed independently with the openssl CLI (OpenSSL 3), e.g. for the PHP example:
   *   secret=YourVerySecretKey; str="${secret}9999VCGS33-S229999TRX0005"
   *   printf %s "$str" | openssl dgst -sha512 -hmac "$secret" | sed 's/^.*= //' | tr -d '\n' | base64 -w0
   * (lowercase hex digest, then base64 of that hex text).
   */
  const OPENSSL = {
    php: 'ODBiNzRjMTIyZTZkZjMyMzU4YzQzNzUxMDhjNDM2YTcxMjFhY2EyZWYwYzRkODYxZTgxYWE2YjdjYjI2MWVkY2M0MzYzNGMzNDc3ZTdiNmY4YThlZmIyNGQyNDUwYjU2YjFlODYwNTY5YzkyYjY1NDFkMGZmZWE4ZDYzNTUyNWQ=',
    node: 'NWNhOWJhYmU5MjM0MTQ1ZmYyM2NmNTRiNjQxNzFiMjdjMzlmNWQ1NGM2YTk2YzMyMGU1OWFmZmQ5ZDM1NzdhZTcxYzJiODFkODYyNDkyNzJhNWMwODNmZjJkM2NjNGYzNTk0NTAyMzIyMDM3NTE1MzQzOGYzMjBjMzg5OGM2Njg=',
    go: 'ZWUxNjQ5NDFkMTcyZjczNTlhMTJjNWMzMDQ2ZTRkYTFhMDNhMDNmM2I2N2M1YWU4ZWI4M2I4ZTg1YjMxMjAwYmQyNGU5MmQ1ODY4NzNlMTlmM2IzOWQ1NzkxOWI4MGM0MGExMjc2NGRkNWM0YTgwODU3MGUzNzMwYWQyMGFjODA=',
    brand: 'YWE1OTI5NjZjZWZkN2FiMGVkNGNjOTQ4NTM3MmQzZTY1MzBkYzk5NDI3ZjU2YzAwNzI4ZGI1MzEzN2YwYmJiY2EzZDM3MmI4NmI2MGUzMzFlMjA1OTBkZTIyNDk5MDMzNjE2NThmZmY1OTFiZGViYjAxODhiMGFkZmZkM2UwMmM=',
  };

  it('the PHP example: $str = $secret.$total.$product.$price.$trx_code; base64_encode(hash_hmac("sha512", $str, $secret, false))', () => {
    const trxCode = 'TRX0005';
    const str = `${secret}${total}${product}${price}${trxCode}`;
    // hash_hmac(..., false) is lowercase hex; base64_encode encodes that text.
    const php = Buffer.from(createHmac('sha512', secret).update(str).digest('hex').toLowerCase(), 'latin1').toString('base64');
    expect(sign(secret, total, product, price, trxCode)).toBe(php);
    expect(php).toBe(OPENSSL.php);
  });

  it("the NodeJS example, run literally with crypto-js", () => {
    // Verbatim from the collection.
    const snippet = `const CryptoJS = require("crypto-js");
const secret = "YourVerySecretKey";
const price = 9999;
const qty = 1;
const product = "VCGS33-S22";
const trx_code = "TRX0006";
const total = price * qty;
const str = \`\${secret}\${total}\${product}\${price}\${trx_code}\`;
const hmac = CryptoJS.HmacSHA512(str, secret).toString();
const signature = CryptoJS.enc.Base64.stringify(CryptoJS.enc.Utf8.parse(hmac));`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const run = new Function('require', `${snippet}\nreturn signature;`) as (r: NodeRequire) => string;
    const signature = run(createRequire(import.meta.url));
    expect(sign(secret, total, product, price, 'TRX0006')).toBe(signature);
    expect(signature).toBe(OPENSSL.node);
  });

  it('the Go example: fmt.Sprintf("%s%d%s", secret, price, product), hex.EncodeToString, base64.StdEncoding', () => {
    const data = `${secret}${price}${product}`;
    const hashSign = createHmac('sha512', Buffer.from(secret)).update(Buffer.from(data)).digest().toString('hex');
    const go = Buffer.from(hashSign).toString('base64');
    expect(sign(secret, price, product)).toBe(go);
    expect(go).toBe(OPENSSL.go);
  });

  it('is base64 of a lowercase hex digest, keyed with the secret, over secret + parts (the v2 calls)', () => {
    expect(sign(secret, 'brand')).toBe(OPENSSL.brand);
    const hex = Buffer.from(sign('s3cr3t', 'orderstatus', 'VCG1'), 'base64').toString('latin1');
    expect(hex).toMatch(/^[0-9a-f]{128}$/);
    expect(hex).toBe(createHmac('sha512', 's3cr3t').update('s3cr3torderstatusVCG1').digest('hex'));
    const b64 = (s: string) => Buffer.from(createHmac('sha512', 'k').update(s).digest('hex')).toString('base64');
    expect(sign('k', 'variation', 'MLBB')).toBe(b64('kvariationMLBB'));
    expect(sign('k', 'order', 'MLBB', 'MLBB112', '12345', REF, '1700000000')).toBe(b64(`korderMLBBMLBB11212345${REF}1700000000`));
  });
});

/**
 * The collection's RC table, written here independently of the connector: what each code answered
 * to a purchase must do to the attempt (RULINGS section 5). `pending`: VCGamers holds the purchase
 * (accepted, or the reference is already known); `pending:ambiguous`: the answer proves nothing;
 * `failed:route`: nothing bought, the next route may be tried; `failed:account`: nothing bought,
 * kios's own credentials are refused (the operator is alerted).
 */
const EXPECTED: [rc: string, http: number, status: string, expected: string][] = [
  ['00', 200, 'SUCCESS', 'pending'],
  ['21', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['22', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['23', 400, 'CLIENT_ERROR', 'pending'],
  ['24', 400, 'CLIENT_ERROR', 'failed:route'],
  ['25', 400, 'CLIENT_ERROR', 'failed:route'],
  ['26', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['40', 400, 'VALIDATION_ERROR', 'failed:route'],
  ['41', 401, 'UNAUTHENTICATED', 'failed:account'],
  ['42', 401, 'UNAUTHENTICATED', 'failed:account'],
  ['43', 403, 'SIGNATURE_INVALID', 'failed:account'],
  ['44', 404, 'NOT_FOUND', 'failed:route'],
  ['45', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['46', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['47', 400, 'CLIENT_ERROR', 'pending:ambiguous'],
  ['50', 400, 'INTERNAL_SERVER_ERROR', 'pending:ambiguous'],
];

const describeOutcome = (o: SupplierOutcome | { kind: 'not_found' }) => (o.kind === 'failed' ? `failed:${o.scope}` : o.kind === 'pending' && o.ambiguous ? 'pending:ambiguous' : o.kind);
const answered = (status: number, json: unknown): HttpAnswer => ({ kind: 'answered', status, text: JSON.stringify(json), json });
const env = (rc: string, status: string, message = 'm', data?: unknown) => ({ code: 400, status, rc_code: rc, message, ...(data !== undefined ? { data } : {}) });

describe('VCGamers response codes', () => {
  it.each(EXPECTED)('rc %s (HTTP %i, %s) -> %s', (rc, http, status, expected) => {
    const data = rc === '00' || rc === '23' ? { trx_code: 'VCG00000042' } : undefined;
    const o = orderAnswer(answered(http, env(rc, status, 'from VCGamers', data)), REF);
    expect(describeOutcome(o)).toBe(expected);
    if (o.kind === 'failed') expect(o).toMatchObject({ code: rc, reason: `${rc} from VCGamers` });
    // Accepted or known: the tid is kept for status checks.
    if (rc === '00' || rc === '23') expect(o).toMatchObject({ kind: 'pending', supplierRef: 'VCG00000042' });
  });

  it('23 without data is still "known": pending, never ambiguous, never failed', () => {
    expect(orderAnswer(answered(400, env('23', 'CLIENT_ERROR', 'Ref ID is already exist')), REF)).toEqual({ kind: 'pending', supplierRef: null, reason: '23 Ref ID is already exist: the reference is known, status to be checked' });
  });

  it('HTTP faults, timeouts and unreadable answers are undecided, whatever the body says', () => {
    const undecided = [
      orderAnswer({ kind: 'no_answer', error: 'no answer in time' }, REF),
      orderAnswer({ kind: 'no_answer', error: 'ECONNRESET: socket hang up' }, REF),
      orderAnswer(answered(500, env('44', 'NOT_FOUND')), REF),
      orderAnswer(answered(502, { message: 'Bad Gateway' }), REF),
      orderAnswer(answered(503, env('25', 'CLIENT_ERROR')), REF),
      orderAnswer(answered(429, env('44', 'NOT_FOUND')), REF),
      orderAnswer(answered(429, env('45', 'CLIENT_ERROR')), REF),
      // A 401/403 from something in front of VCGamers (no envelope).
      orderAnswer(answered(401, { message: 'Unauthorized' }), REF),
      orderAnswer({ kind: 'answered', status: 403, text: '<html>Forbidden</html>', json: undefined }, REF),
      orderAnswer({ kind: 'answered', status: 200, text: '<html>', json: undefined }, REF),
      orderAnswer(answered(200, { code: 200, status: 'SUCCESS', data: { trx_code: 'X' } }), REF), // no rc_code
      orderAnswer(answered(400, { code: 400, status: 'CLIENT_ERROR', message: 'Ref ID is already exist' }), REF), // a word alone
      orderAnswer(answered(400, env('99', 'CLIENT_ERROR')), REF),
      orderAnswer(answered(400, env('', 'CLIENT_ERROR')), REF),
      orderAnswer(answered(302, env('44', 'NOT_FOUND')), REF),
      orderAnswer(answered(200, { ...env('00', 'SUCCESS'), code: 200, data: { trx_code: 'X', ref_id: 'ord_other-1' } }), REF),
      orderAnswer(answered(400, env('44', 'NOT_FOUND', 'm', { ref_id: 'ord_other-1' })), REF),
      // The status word contradicts the code.
      orderAnswer(answered(200, env('00', 'CLIENT_ERROR')), REF),
      orderAnswer(answered(400, env('25', 'SUCCESS')), REF),
      // A success code with an error status.
      orderAnswer(answered(400, env('00', 'SUCCESS', 'm', { trx_code: 'X' })), REF),
    ];
    for (const o of undecided) expect(o).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('order status: 2 success (voucher), 1 processing, 3 failed (reason in sn), 4 refunded; anything else pending', () => {
    const s = (status: number, extra: Record<string, unknown> = {}) => orderStatusOutcome({ code: 'VCG1', status, ref_id: REF, ...extra }, 'VCG1', REF);
    expect(s(2, { detail: { voucher_code: ' ABCD-EFGH ' } })).toEqual({ kind: 'success', supplierRef: 'VCG1', sn: 'ABCD-EFGH', voucher: 'ABCD-EFGH' });
    expect(s(2, { sn: 'SN-9', detail: { voucher_code: '' } })).toEqual({ kind: 'success', supplierRef: 'VCG1', sn: 'SN-9', voucher: null });
    expect(s(1)).toEqual({ kind: 'pending', supplierRef: 'VCG1', reason: 'processing' });
    expect(s(3, { sn: 'User ID tidak ditemukan' })).toEqual({ kind: 'failed', code: 'status 3', scope: 'route', reason: 'User ID tidak ditemukan' });
    expect(s(4, { sn: 'Refund: stok habis' })).toEqual({ kind: 'reversed', reason: 'Refund: stok habis' });
    for (const n of [0, 5, 9, -1]) expect(s(n)).toMatchObject({ kind: 'pending', supplierRef: 'VCG1' });
    // About another reference or transaction: decides nothing.
    expect(orderStatusOutcome({ code: 'VCG1', status: 3, ref_id: 'ord_other-1' }, 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(orderStatusOutcome({ code: 'VCG2', status: 2, ref_id: REF }, 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('a status answer never fails an attempt by itself: refusals of the status call are undecided, credentials alert', () => {
    const ok = (data: unknown) => answered(200, { code: 200, status: 'SUCCESS', data });
    expect(describeOutcome(statusAnswer(ok({ code: 'VCG1', status: 2, ref_id: REF }), 'VCG1', REF))).toBe('success');
    expect(statusAnswer(answered(404, env('44', 'NOT_FOUND', 'Transaction Not Available')), 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(statusAnswer(answered(400, env('40', 'VALIDATION_ERROR')), 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    const creds = statusAnswer(answered(403, env('43', 'SIGNATURE_INVALID')), 'VCG1', REF);
    expect(creds).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(creds.kind === 'pending' && creds.alert).toMatch(/secret_key/);
    for (const a of [{ kind: 'no_answer' as const, error: 'no answer in time' }, answered(500, { code: 200, status: 'SUCCESS', data: { status: 3 } }), answered(429, env('45', 'CLIENT_ERROR')), answered(200, { code: 200, status: 'SUCCESS' }), answered(200, { data: { status: 'x' } })]) {
      expect(statusAnswer(a, 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    }
    // A success envelope whose rc or word says otherwise decides nothing either.
    expect(statusAnswer(answered(200, { code: 200, status: 'CLIENT_ERROR', data: { status: 2 } }), 'VCG1', REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });
});

describe('VCGamers configuration', () => {
  it('defaults to the production host and declares 200 requests / 60 s, overridable', () => {
    expect(PRODUCTION_URL).toBe('https://mitra-api.vcgamers.com');
    expect(DEVELOPMENT_URL).toBe('https://h2h-api.vcg.my.id');
    const c = vcgamersConfigSchema.parse({ access_key: 'a', secret_key: 's' });
    expect(c).toEqual({ base_url: 'https://mitra-api.vcgamers.com', access_key: 'a', secret_key: 's' });
    const ctx = { supplierId: 'v', log: pino({ level: 'silent' }), timeoutMs: 1000, dataDir: '/tmp', callbackUrl: null, dispatcher: new Agent() };
    expect(vcgamersFactory.create(c, ctx).rateLimit).toEqual({ requests: 200, perMs: 60_000 });
    expect(vcgamersFactory.create(vcgamersConfigSchema.parse({ access_key: 'a', secret_key: 's', rate_limit: { requests: 50, per_seconds: 10 }, balance_alert: 100_000 }), ctx).rateLimit).toEqual({ requests: 50, perMs: 10_000 });
    expect(vcgamersFactory).toMatchObject({ kind: 'vcgamers', title: 'VCGamers Mitra', secretKeys: ['access_key', 'secret_key'], callbacks: true });
    void ctx.dispatcher.close();
  });

  it('names the bad key and never quotes a value', () => {
    const r = vcgamersConfigSchema.safeParse({ access_key: 98765432109876, secret_key: `very-secret-${'x'.repeat(600)}`, base_url: 'ftp://user:pw@x', callback: 'https://x', balance_alert: -5 });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error!.issues.map((i) => [i.path.join('.'), i.message]));
    for (const key of ['access_key', 'secret_key', 'base_url', 'balance_alert', 'callback']) expect(text).toContain(key);
    expect(text).not.toContain('98765432109876');
    expect(text).not.toContain('very-secret');
    expect(text).not.toContain('user:pw');
    const missing = vcgamersConfigSchema.safeParse({});
    expect(JSON.stringify(missing.error!.issues.map((i) => i.message))).toContain('access_key is required');
  });

  it('route skus are <brand_key>/<variation_key>', () => {
    expect(splitSku('MLBB/MLBB112')).toEqual({ brandKey: 'MLBB', variationKey: 'MLBB112' });
    expect(splitSku('GI/GI/60')).toEqual({ brandKey: 'GI', variationKey: 'GI/60' });
    for (const bad of ['MLBB112', '/MLBB112', 'MLBB/', '', '/']) expect(splitSku(bad)).toBeNull();
  });

  it('brand forms: at most two fields of known types, options only on option fields; anything else is no form', () => {
    expect(brandForm([{ key: 'user_id', type: 'numeric', alias: 'UID', options: null }])).toEqual([{ key: 'user_id', type: 'numeric', alias: 'UID' }]);
    expect(brandForm([{ key: 'user_id', type: 'text', alias: 'ID', options: [] }])).toEqual([{ key: 'user_id', type: 'text', alias: 'ID' }]);
    expect(brandForm(FAKE_BRANDS.find((b) => b.key === 'GI')!.form)).toEqual(FAKE_BRANDS.find((b) => b.key === 'GI')!.form);
    const f = { key: 'a', type: 'text', alias: 'A' };
    expect(brandForm([f, { ...f, key: 'b' }, { ...f, key: 'c' }])).toBeNull();
    expect(brandForm([{ key: 'a', type: 'date', alias: 'A' }])).toBeNull();
    expect(brandForm([{ key: 'a', type: 'option', alias: 'A' }])).toBeNull();
    expect(brandForm([{ key: 'a b', type: 'text', alias: 'A' }])).toBeNull();
    expect(brandForm(['x'])).toBeNull();
    expect(brandForm([])).toBeNull();
    expect(brandForm(null)).toBeNull();
  });
});

describe('VCGamers against the fake', () => {
  let fake: VcgamersFake;
  let sink: CallbackSink;
  const dispatcher = new Agent();
  // Every call context of the suite is kept, to prove no secret is ever recorded.
  const contexts: CallContext[] = [];
  const call = (): CallContext => {
    const c: CallContext = { exchanges: [] };
    contexts.push(c);
    return c;
  };
  const connector = (config: Record<string, unknown> = {}, timeoutMs = 3000): SupplierConnector =>
    vcgamersFactory.create(vcgamersConfigSchema.parse(fake.config(config)), { supplierId: 'vcg', log: pino({ level: 'silent' }), timeoutMs, dataDir: '/tmp', callbackUrl: null, dispatcher });
  let seq = 0;
  const order = (over: Partial<PurchaseInput> = {}): PurchaseInput => {
    seq += 1;
    const p = fake.catalog.products.find((x) => x.brandKey === 'FF' && x.active)!;
    return { ref: `ord_01jvcg${String(seq).padStart(4, '0')}-1`, sku: `FF/${p.key}`, userId: '123456789', serverId: null, inputs: [{ key: 'user_id', value: '123456789' }], price: p.price + 500, cost: null, ...over };
  };
  const webhookRequest = (rawBody: string, method = 'POST'): InboundRequest => ({ method, headers: { 'content-type': 'application/json' }, rawBody, query: {}, ip: '127.0.0.1' });

  beforeAll(async () => {
    sink = await CallbackSink.start();
    fake = await VcgamersFake.start({ callbackUrl: `${sink.url}/suppliers/vcg/callback`, pendingMs: 150 });
  });
  afterEach(() => {
    fake.faultFor = null;
  });
  afterAll(async () => {
    await fake.close();
    await sink.close();
    await dispatcher.close();
    // No secret in any exchange of the whole suite: URLs, bodies, answers, errors.
    const exchanges = contexts.flatMap((c) => c.exchanges);
    expect(exchanges.length).toBeGreaterThan(20);
    const all = JSON.stringify(exchanges);
    expect(all).not.toContain(fake.accessKey);
    expect(all).not.toContain(fake.secretKey);
  });

  it('a purchase: Bearer token, signed order with the documented fields in order, price = cost or price; 00 is accepted (pending with the tid)', async () => {
    const input = order();
    const o = await connector().purchase(input, call());
    const txn = fake.txns.get(input.ref)!;
    expect(o).toEqual({ kind: 'pending', supplierRef: txn.supplierRef, reason: 'accepted: Processing' });
    const req = fake.requests.at(-1)!;
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['brand_key', 'variation_key', 'price', 'ref_id', 'data', 'timestamp']);
    expect(body).toMatchObject({ brand_key: 'FF', variation_key: input.sku.split('/')[1], price: input.price, ref_id: input.ref, data: [{ key: 'user_id', value: '123456789' }] });
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    // The cost, when the route has one, is the price sent.
    const p = fake.catalog.get(input.sku.split('/')[1]!);
    const withCost = order({ cost: p.price, price: p.price + 9000 });
    await connector().purchase(withCost, call());
    expect(JSON.parse(fake.requests.at(-1)!.body)).toMatchObject({ price: p.price });
    // The webhook of a success arrives; it only names the reference to check.
    await eventually(() => expect(fake.callbacksSent.some((c) => c.ref === input.ref)).toBe(true));
  });

  it('the exact data array of a two-field form with an option reaches VCGamers (Genshin os_asia)', async () => {
    const gi = fake.catalog.products.find((x) => x.brandKey === 'GI')!;
    const inputs = [
      { key: 'user_id', value: '800123456' },
      { key: 'additional_id', value: 'os_asia' },
    ];
    const input = order({ sku: `GI/${gi.key}`, userId: '800123456', serverId: 'os_asia', inputs, price: gi.price });
    expect(await connector().purchase(input, call())).toMatchObject({ kind: 'pending', supplierRef: expect.stringMatching(/^VCG/) });
    expect(fake.lastData.get(input.ref)).toEqual(inputs);
    expect(fake.txns.get(input.ref)).toMatchObject({ sku: `GI/${gi.key}`, destination: '800123456', price: gi.price });
    // The same inputs in another order, or an option not in the form: refused (40), nothing booked.
    const swapped = order({ sku: `GI/${gi.key}`, inputs: [inputs[1]!, inputs[0]!], price: gi.price });
    expect(await connector().purchase(swapped, call())).toMatchObject({ kind: 'failed', code: '40', scope: 'route' });
    const badOption = order({ sku: `GI/${gi.key}`, inputs: [inputs[0]!, { key: 'additional_id', value: 'os_mars' }], price: gi.price });
    expect(await connector().purchase(badOption, call())).toMatchObject({ kind: 'failed', code: '40', scope: 'route' });
    expect(fake.txns.has(swapped.ref) || fake.txns.has(badOption.ref)).toBe(false);
  });

  it('23: the same ref_id again never buys twice; the answer is pending (known), with the tid', async () => {
    const c = connector();
    const input = order();
    const first = await c.purchase(input, call());
    const again = await c.purchase(input, call());
    const txn = fake.txns.get(input.ref)!;
    expect(first).toMatchObject({ kind: 'pending', supplierRef: txn.supplierRef });
    expect(again).toMatchObject({ kind: 'pending', supplierRef: txn.supplierRef, reason: expect.stringMatching(/^23 /) });
    expect(again).not.toHaveProperty('ambiguous');
    expect(fake.txnsFor(input.ref.slice(0, -2))).toHaveLength(1);
    expect(txn.requests).toBe(2);
  });

  it('explicit refusals before anything is bought: unknown variation 44, price limit 24, balance 25, bad sku before any request', async () => {
    const c = connector();
    expect(await c.purchase(order({ sku: 'FF/VCG' }), call())).toMatchObject({ kind: 'failed', code: '44', scope: 'route' });
    const p = fake.catalog.products.find((x) => x.brandKey === 'MLBB')!;
    const two = [
      { key: 'user_id', value: '123456789' },
      { key: 'additional_id', value: '1234' },
    ];
    expect(await c.purchase(order({ sku: `MLBB/${p.key}`, inputs: two, price: p.price - 1 }), call())).toMatchObject({ kind: 'failed', code: '24', scope: 'route' });
    const balance = fake.balance;
    fake.balance = 10;
    try {
      expect(await c.purchase(order(), call())).toMatchObject({ kind: 'failed', code: '25', scope: 'route' });
    } finally {
      fake.balance = balance;
    }
    const before = fake.requests.length;
    const bad = await c.purchase(order({ sku: 'MLBB112' }), call());
    expect(bad).toMatchObject({ kind: 'failed', scope: 'route', reason: expect.stringContaining('<brand_key>/<variation_key>') });
    expect(fake.requests.length).toBe(before);
    expect(await c.status({ ...order({ sku: 'MLBB112' }), supplierRef: null }, call())).toEqual({ kind: 'not_found' });
    // A refused reference stays refused, even once the cause is gone.
    const refused = order({ sku: 'FF/FF9999' });
    expect(await c.purchase(refused, call())).toMatchObject({ kind: 'failed', code: '44' });
    fake.catalog.products.push({ brandKey: 'FF', key: 'FF9999', name: '9999 Diamonds', price: 100, active: true });
    try {
      expect(await c.purchase(refused, call())).toMatchObject({ kind: 'failed', code: '44' });
      expect(fake.txns.has(refused.ref)).toBe(false);
    } finally {
      fake.catalog.remove('FF9999');
    }
  });

  it('kios credentials refused: 41/42/43 fail the purchase with scope account', async () => {
    const badKey = await connector({ access_key: 'wrong-access-key-000' }).purchase(order(), call());
    expect(badKey).toMatchObject({ kind: 'failed', code: '42', scope: 'account' });
    const badSecret = await connector({ secret_key: 'wrong-secret-key-000' }).purchase(order(), call());
    expect(badSecret).toMatchObject({ kind: 'failed', code: '43', scope: 'account' });
    const badToken = await connector({ access_key: 'two words' }).purchase(order(), call());
    expect(badToken).toMatchObject({ kind: 'failed', code: '41', scope: 'account' });
  });

  it('status by tid: processing, then success, with the voucher; failed with the reason; refunded is reversed', async () => {
    const c = connector();
    const slow = order({ userId: '700000555', inputs: [{ key: 'user_id', value: '700000555' }] });
    const bought = await c.purchase(slow, call());
    const tid = bought.kind === 'pending' ? bought.supplierRef! : '';
    expect(await c.status({ ...slow, supplierRef: tid }, call())).toEqual({ kind: 'pending', supplierRef: tid, reason: 'processing' });
    await eventually(() => expect(fake.txns.get(slow.ref)!.state).toBe('success'));
    const done = await c.status({ ...slow, supplierRef: tid }, call());
    expect(done).toEqual({ kind: 'success', supplierRef: tid, sn: fake.txns.get(slow.ref)!.sn, voucher: fake.txns.get(slow.ref)!.sn });

    const failing = order({ userId: '700000554', inputs: [{ key: 'user_id', value: '700000554' }] });
    const f = await c.purchase(failing, call());
    const ftid = f.kind === 'pending' ? f.supplierRef! : '';
    await eventually(() => expect(fake.txns.get(failing.ref)!.state).toBe('failed'));
    expect(await c.status({ ...failing, supplierRef: ftid }, call())).toMatchObject({ kind: 'failed', scope: 'route', code: 'status 3', reason: expect.stringContaining('gagal') });

    const refunded = order();
    const r = await c.purchase(refunded, call());
    fake.refund(refunded.ref, 'Refund: stok habis');
    expect(await c.status({ ...refunded, supplierRef: r.kind === 'pending' ? r.supplierRef! : '' }, call())).toEqual({ kind: 'reversed', reason: 'Refund: stok habis' });

    // A tid VCGamers does not know decides nothing.
    expect(await c.status({ ...order(), supplierRef: 'VCG99999999' }, call())).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('status without a tid: the purchase answer was lost (processed, then no answer); re-sending the same order is 23, never a second purchase', async () => {
    fake.faultFor = (path) => (path === '/v2/public/order' ? 'hang-after' : undefined);
    fake.faults.hangMs = 1_000;
    const input = order();
    const lost = await connector({}, 300).purchase(input, call());
    expect(lost).toMatchObject({ kind: 'pending', ambiguous: true, reason: expect.stringContaining('no answer') });
    fake.faultFor = null;
    const txn = fake.txns.get(input.ref)!;
    expect(txn).toBeDefined();
    const checked = await connector().status({ ...input, supplierRef: null }, call());
    expect(checked).toMatchObject({ kind: 'pending', supplierRef: txn.supplierRef });
    expect(checked).not.toHaveProperty('ambiguous');
    expect(txn.requests).toBe(2);
    expect([...fake.txns.keys()].filter((r) => r === input.ref)).toHaveLength(1);
    // And with the tid it learnt, the status call decides.
    expect(await connector().status({ ...input, supplierRef: txn.supplierRef }, call())).toMatchObject({ kind: 'success' });
    // A purchase VCGamers never received arrives with the re-send (00: pending, with its tid).
    const never = order();
    const arrived = await connector().status({ ...never, supplierRef: null }, call());
    expect(arrived).toMatchObject({ kind: 'pending', supplierRef: fake.txns.get(never.ref)!.supplierRef });
  });

  it('HTTP faults against the fake: 5xx and timeouts are undecided', async () => {
    fake.faultFor = (path) => (path === '/v2/public/order' ? '5xx-before' : undefined);
    expect(await connector().purchase(order(), call())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'HTTP 502' });
    fake.faultFor = (path) => (path === '/v2/public/order' ? '5xx-after' : undefined);
    const after = order();
    expect(await connector().purchase(after, call())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'HTTP 500' });
    expect(fake.txns.has(after.ref)).toBe(true);
    fake.faultFor = (path) => (path === '/v2/public/order-status' ? 'hang-before' : undefined);
    fake.faults.hangMs = 1_000;
    expect(await connector({}, 200).status({ ...after, supplierRef: fake.txns.get(after.ref)!.supplierRef }, call())).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('webhooks are unsigned: whatever they say, kios only checks the named reference; product events are acknowledged; junk is refused', async () => {
    const c = connector();
    const input = order();
    await c.purchase(input, call());
    const hook = await eventually(() => {
      const r = sink.received.find((x) => x.body.includes(input.ref));
      if (!r) throw new Error('no webhook yet');
      return r;
    });
    expect(c.parseCallback!(webhookRequest(hook.body))).toEqual({ kind: 'check', ref: input.ref });
    // A forged "success" is no outcome either.
    const forged = JSON.stringify({ type: 'STATUS_UPDATE', data: { ref_id: 'ord_forged-1', status: 2, detail: { voucher_code: 'FREE' } } });
    expect(c.parseCallback!(webhookRequest(forged))).toEqual({ kind: 'check', ref: 'ord_forged-1' });
    expect(c.parseCallback!(webhookRequest(JSON.stringify({ ref_id: REF, status: 2 })))).toEqual({ kind: 'check', ref: REF });
    expect(c.parseCallback!(webhookRequest(JSON.stringify({ type: 'PRODUCT_STATUS', data: { brand_key: 'MLBB', variation_key: 'MLBB112', price: 20000, is_active: false } })))).toMatchObject({ kind: 'ack' });
    expect(c.parseCallback!(webhookRequest('not json'))).toMatchObject({ kind: 'refused', status: 400 });
    expect(c.parseCallback!(webhookRequest('[1,2]'))).toMatchObject({ kind: 'refused', status: 400 });
    expect(c.parseCallback!(webhookRequest(JSON.stringify({ hello: 'world' })))).toMatchObject({ kind: 'refused', status: 400 });
    expect(c.parseCallback!(webhookRequest(JSON.stringify({ type: 'STATUS_UPDATE', data: { trx_code: 'VCG1', status: 2 } })))).toMatchObject({ kind: 'refused', status: 400 });
    expect(c.parseCallback!(webhookRequest(JSON.stringify({ data: { ref_id: 'x'.repeat(500) , trx_code: 'VCG1' } })))).toMatchObject({ kind: 'refused', status: 400 });
    expect(c.parseCallback!(webhookRequest(hook.body, 'GET'))).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('catalog: brands once, then variations per brand; every variation with its brand, category, form and cost', async () => {
    const before = fake.requests.length;
    const products: SupplierProduct[] = [];
    for await (const p of connector().catalog!(call())) products.push(p);
    const calls = fake.requests.slice(before);
    expect(calls.map((r) => r.path)).toEqual(['/v2/public/brands', ...FAKE_BRANDS.map(() => '/v2/public/variations')]);
    expect(products).toHaveLength(fake.catalog.products.length);
    for (const fp of fake.catalog.products) {
      const brand = FAKE_BRANDS.find((b) => b.key === fp.brandKey)!;
      expect(products.find((p) => p.sku === `${fp.brandKey}/${fp.key}`)).toEqual({ sku: `${fp.brandKey}/${fp.key}`, name: fp.name, cost: fp.price, active: fp.active, brand: brand.name, category: brand.category, form: brand.form });
    }
    // A price rise, a product switched off and one gone are seen by the next sync.
    const [a, b, gone] = fake.catalog.products.filter((p) => p.brandKey === 'VALO');
    a!.price += 1000;
    b!.active = false;
    fake.catalog.remove(gone!.key);
    const again: SupplierProduct[] = [];
    for await (const p of connector().catalog!(call())) again.push(p);
    expect(again.find((p) => p.sku === `VALO/${a!.key}`)!.cost).toBe(a!.price);
    expect(again.find((p) => p.sku === `VALO/${b!.key}`)!.active).toBe(false);
    expect(again.some((p) => p.sku === `VALO/${gone!.key}`)).toBe(false);
    expect(again).toHaveLength(products.length - 1);
    // A refused catalog call fails the sync (never a partial catalog), without quoting a secret.
    await expect(
      (async () => {
        for await (const _ of connector({ secret_key: 'wrong-secret-key-000' }).catalog!(call())) void _;
      })(),
    ).rejects.toThrow(/rc 43/);
  });

  it("the fake's own rate limit answers rc 45 beyond it, which kios keeps undecided", async () => {
    const limited = await VcgamersFake.start({ rateLimit: { requests: 2, perMs: 60_000 }, catalog: new FakeCatalog(16) });
    try {
      const c = vcgamersFactory.create(vcgamersConfigSchema.parse(limited.config()), { supplierId: 'vcg2', log: pino({ level: 'silent' }), timeoutMs: 2000, dataDir: '/tmp', callbackUrl: null, dispatcher });
      const p = limited.catalog.products.find((x) => x.brandKey === 'FF')!;
      const mk = (n: number): PurchaseInput => ({ ref: `ord_01jlimit${n}-1`, sku: `FF/${p.key}`, userId: '1234', serverId: null, inputs: [{ key: 'user_id', value: '1234' }], price: p.price, cost: null });
      expect(await c.purchase(mk(1), call())).toMatchObject({ kind: 'pending' });
      expect(await c.purchase(mk(2), call())).toMatchObject({ kind: 'pending' });
      expect(await c.purchase(mk(3), call())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'HTTP 429' });
      expect(limited.limited).toBe(1);
      expect(limited.txns.size).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('VCGamers answers that echo secrets', () => {
  let server: Server;
  let url: string;
  const dispatcher = new Agent();
  beforeAll(async () => {
    server = createServer((req, res) => {
      // A misbehaving answer that quotes the credentials back.
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 400, status: 'UNAUTHENTICATED', rc_code: '42', message: `token echo-access-key-123 / echo-secret-key-456 refused for ${req.url}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dispatcher.close();
  });

  it('are masked in exchanges and errors', async () => {
    const c = vcgamersFactory.create(vcgamersConfigSchema.parse({ base_url: url, access_key: 'echo-access-key-123', secret_key: 'echo-secret-key-456' }), { supplierId: 'v', log: pino({ level: 'silent' }), timeoutMs: 2000, dataDir: '/tmp', callbackUrl: null, dispatcher });
    const ctx: CallContext = { exchanges: [] };
    const o = await c.purchase({ ref: REF, sku: 'MLBB/MLBB112', userId: '1', serverId: '2', inputs: [{ key: 'user_id', value: '1' }, { key: 'zone_id', value: '2' }], price: 1000, cost: null }, ctx);
    expect(o).toMatchObject({ kind: 'failed', scope: 'account' });
    let error = '';
    try {
      for await (const _ of c.catalog!(ctx)) void _;
    } catch (err) {
      error = String(err);
    }
    expect(error).toMatch(/rc 42/);
    const text = JSON.stringify(ctx.exchanges) + JSON.stringify(o) + error;
    expect(text).not.toContain('echo-access-key-123');
    expect(text).not.toContain('echo-secret-key-456');
    expect(ctx.exchanges[0]!.url).toMatch(/\/v2\/public\/order\?sign=/);
  });
});
