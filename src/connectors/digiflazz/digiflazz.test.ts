import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, SupplierOutcome } from '../types.js';
import { digiflazzConfigSchema, digiflazzFactory } from './index.js';
import { transactionAnswer, transactionOutcome } from './mapping.js';
import { balanceSign, priceListSign, transactionSign, verifyWebhook, webhookSignature } from './protocol.js';

const REF = 'ord_01jexample-1';

describe('Digiflazz signatures', () => {
  it('are the documented md5 formulas, byte for byte (vectors computed with Python hashlib)', () => {
    expect(transactionSign('kiosbuyer', 'dev-5f0c7e2a-digiflazz-fake-key', REF)).toBe('7def6bec970250b57da52c558a82b782');
    expect(balanceSign('kiosbuyer', 'dev-5f0c7e2a-digiflazz-fake-key')).toBe('0b3c2a88314906c4c7484eaf2cd447ae');
    expect(priceListSign('kiosbuyer', 'dev-5f0c7e2a-digiflazz-fake-key')).toBe('8d485091bf499a77a618b680cde24a22');
    // And the formula itself, written out independently.
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    expect(transactionSign('u', 'k', 'r-9')).toBe(md5('u' + 'k' + 'r-9'));
    expect(balanceSign('u', 'k')).toBe(md5('ukdepo'));
    expect(priceListSign('u', 'k')).toBe(md5('ukpricelist'));
  });

  it('X-Hub-Signature is sha1= + hex HMAC-SHA1 of the raw body (the documented webhook example)', () => {
    const body =
      '{"data":{"ref_id":"30467470","customer_no":"081280556115","buyer_sku_code":"ovo100","message":"Sukses","status":"Sukses","rc":"00","buyer_last_saldo":326719460,"sn":"SEPTIAPAR/20190401214753214742","price":199800,"tele":"@telegram","wa":"081234512345"}}';
    expect(webhookSignature(body, 'somesecretvalue')).toBe('sha1=ca76ad2f32bec78a4211e6eda6bde1c2dab57a73');
    expect(verifyWebhook(body, 'sha1=ca76ad2f32bec78a4211e6eda6bde1c2dab57a73', 'somesecretvalue')).toBe(true);
    expect(verifyWebhook(body, 'SHA1=CA76AD2F32BEC78A4211E6EDA6BDE1C2DAB57A73', 'somesecretvalue')).toBe(true);
    expect(verifyWebhook(body, 'ca76ad2f32bec78a4211e6eda6bde1c2dab57a73', 'somesecretvalue')).toBe(false);
    expect(verifyWebhook(`${body} `, 'sha1=ca76ad2f32bec78a4211e6eda6bde1c2dab57a73', 'somesecretvalue')).toBe(false);
    expect(verifyWebhook(body, 'sha1=ca76ad2f32bec78a4211e6eda6bde1c2dab57a73', 'othersecret')).toBe(false);
    expect(verifyWebhook(body, undefined, 'somesecretvalue')).toBe(false);
    expect(verifyWebhook(body, '', 'somesecretvalue')).toBe(false);
  });
});

/**
 * The published response-code table, written here independently of the connector: what each code
 * must do to an attempt. `route`: try the next route; `account`: kios's account is misconfigured
 * (next route, operator alerted); `destination`: the order fails at once; `check`: the reference
 * is already known, so only a status check may follow (RULINGS section 5).
 */
const EXPECTED: [rc: string, status: 'Sukses' | 'Pending' | 'Gagal', expected: string][] = [
  ['00', 'Sukses', 'success'],
  ['01', 'Gagal', 'failed:route'],
  ['02', 'Gagal', 'failed:route'],
  ['03', 'Pending', 'pending'],
  ['40', 'Gagal', 'failed:account'],
  ['41', 'Gagal', 'failed:account'],
  ['42', 'Gagal', 'failed:account'],
  ['43', 'Gagal', 'failed:route'],
  ['44', 'Gagal', 'failed:route'],
  ['45', 'Gagal', 'failed:account'],
  ['47', 'Gagal', 'pending'],
  ['49', 'Gagal', 'pending'],
  ['50', 'Gagal', 'pending:ambiguous'],
  ['51', 'Gagal', 'failed:destination'],
  ['52', 'Gagal', 'failed:destination'],
  ['53', 'Gagal', 'failed:route'],
  ['54', 'Gagal', 'failed:destination'],
  ['55', 'Gagal', 'failed:route'],
  ['56', 'Gagal', 'failed:route'],
  ['57', 'Gagal', 'failed:destination'],
  ['58', 'Gagal', 'failed:route'],
  ['59', 'Gagal', 'failed:destination'],
  ['60', 'Gagal', 'failed:route'],
  ['61', 'Gagal', 'failed:account'],
  ['62', 'Gagal', 'failed:route'],
  ['63', 'Gagal', 'failed:route'],
  ['64', 'Gagal', 'failed:route'],
  ['65', 'Gagal', 'failed:route'],
  ['66', 'Gagal', 'failed:route'],
  ['67', 'Gagal', 'failed:route'],
  ['68', 'Gagal', 'failed:route'],
  ['69', 'Gagal', 'failed:route'],
  ['70', 'Gagal', 'failed:route'],
  ['71', 'Gagal', 'failed:route'],
  ['72', 'Gagal', 'failed:destination'],
  ['73', 'Gagal', 'failed:destination'],
  ['74', 'Gagal', 'reversed'],
  ['80', 'Gagal', 'failed:account'],
  ['81', 'Gagal', 'failed:account'],
  ['82', 'Gagal', 'failed:account'],
  ['83', 'Gagal', 'failed:route'],
  ['84', 'Gagal', 'failed:route'],
  ['85', 'Gagal', 'failed:route'],
  ['86', 'Gagal', 'failed:route'],
  ['87', 'Gagal', 'failed:route'],
  ['88', 'Gagal', 'failed:account'],
  ['99', 'Pending', 'pending'],
];

const describeOutcome = (o: SupplierOutcome) => (o.kind === 'failed' ? `failed:${o.scope}` : o.kind === 'pending' && o.ambiguous ? 'pending:ambiguous' : o.kind);

describe('Digiflazz response codes', () => {
  it.each(EXPECTED)('rc %s (%s) -> %s', (rc, status, expected) => {
    const o = transactionOutcome({ ref_id: REF, rc, status, message: 'm', sn: rc === '00' ? 'SN123' : '' }, REF);
    expect(describeOutcome(o)).toBe(expected);
    if (o.kind === 'success') expect(o).toMatchObject({ sn: 'SN123', voucher: 'SN123' });
    if (o.kind === 'failed') expect(o.reason).toMatch(new RegExp(`^${rc} `));
  });

  it('a code whose status word disagrees is undecided, never a conclusion', () => {
    expect(transactionOutcome({ ref_id: REF, rc: '00', status: 'Pending' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: REF, rc: '00', status: 'Gagal' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: REF, rc: '02', status: 'Sukses' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: REF, rc: '02', status: 'Pending' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('unknown codes, answers about another ref_id and a success without ref_id are undecided', () => {
    expect(transactionOutcome({ ref_id: REF, rc: '98', status: 'Gagal' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: REF, rc: '', status: 'Gagal' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: 'ord_other-1', rc: '02', status: 'Gagal' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ ref_id: 'ord_other-1', rc: '00', status: 'Sukses' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionOutcome({ rc: '00', status: 'Sukses' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    // Only a documented pending code confirms Digiflazz holds the purchase.
    expect(transactionOutcome({ ref_id: REF, rc: '03', status: 'Pending', message: 'Transaksi Pending' }, REF)).toEqual({ kind: 'pending', reason: '03 Transaksi Pending' });
    // Refusals sent before a transaction exists carry no ref_id and still prove nothing was bought.
    expect(describeOutcome(transactionOutcome({ rc: '41', message: 'Signature Anda salah' }, REF))).toBe('failed:account');
  });

  it('HTTP faults and unreadable bodies are undecided; a readable refusal is one whatever its HTTP status', () => {
    const answered = (status: number, json: unknown) => ({ kind: 'answered' as const, status, text: JSON.stringify(json), json });
    expect(transactionAnswer({ kind: 'no_answer', error: 'no answer in time' }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionAnswer(answered(500, { data: { rc: '02', status: 'Gagal', ref_id: REF } }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionAnswer(answered(502, 'Bad Gateway'), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionAnswer(answered(200, { rc: '00' }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionAnswer(answered(200, { data: {} }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(transactionAnswer({ kind: 'answered', status: 200, text: '<html>', json: undefined }, REF)).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(describeOutcome(transactionAnswer(answered(400, { data: { rc: '41', message: 'Signature Anda salah' } }), REF))).toBe('failed:account');
    expect(describeOutcome(transactionAnswer(answered(200, { data: { ref_id: REF, rc: '00', status: 'Sukses', sn: 'X' } }), REF))).toBe('success');
  });
});

describe('Digiflazz configuration', () => {
  it('defaults to the production host, no testing, max_price = the selling price, customer_no = user id + server id', () => {
    const c = digiflazzConfigSchema.parse({ username: 'u', api_key: 'k' });
    expect(c).toEqual({ base_url: 'https://api.digiflazz.com/v1', username: 'u', api_key: 'k', testing: false, max_price: 'price', customer_no: '{user_id}{server_id}' });
  });

  it('names the bad key and never quotes a value', () => {
    const r = digiflazzConfigSchema.safeParse({ username: 'u', api_key: 12345678901234, base_url: 'ftp://x', testing: 'yes', other: 1 });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error!.issues.map((i) => [i.path.join('.'), i.message]));
    expect(text).toContain('api_key');
    expect(text).toContain('base_url');
    expect(text).toContain('testing');
    expect(text).toContain('other');
    expect(text).not.toContain('12345678901234');
  });
});

describe('Digiflazz requests and webhooks', () => {
  let server: Server;
  let url: string;
  const received: { path: string; body: Record<string, unknown> }[] = [];
  let answer: (body: Record<string, unknown>) => unknown = () => ({});
  const dispatcher = new Agent();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dispatcher.close();
  });

  const connector = (extra: Record<string, unknown> = {}, callbackUrl: string | null = null) =>
    digiflazzFactory.create(digiflazzConfigSchema.parse({ base_url: url, username: 'kiosbuyer', api_key: 'secret-api-key-123', webhook_secret: 'secret-webhook-456', ...extra }), {
      supplierId: 'digi',
      log: pino({ level: 'silent' }),
      timeoutMs: 2000,
      dataDir: '/tmp',
      callbackUrl,
      dispatcher,
    });
  const input = { ref: REF, sku: 'ML86', userId: '123456789', serverId: '1234', inputs: [], price: 18_624, cost: 18_100 };

  it('a purchase is POST /transaction with the documented fields, the signature and the price cap', async () => {
    answer = (b) => ({ data: { ref_id: b.ref_id, customer_no: b.customer_no, buyer_sku_code: b.buyer_sku_code, message: 'Transaksi Pending', status: 'Pending', rc: '03', sn: '' } });
    const call: CallContext = { exchanges: [] };
    const o = await connector({}, 'https://kios.example.com/suppliers/digi/callback').purchase(input, call);
    expect(o).toMatchObject({ kind: 'pending' });
    expect(received.at(-1)).toEqual({
      path: '/v1/transaction',
      body: {
        username: 'kiosbuyer',
        buyer_sku_code: 'ML86',
        customer_no: '1234567891234',
        ref_id: REF,
        sign: createHash('md5').update(`kiosbuyersecret-api-key-123${REF}`).digest('hex'),
        max_price: 18_624,
        cb_url: 'https://kios.example.com/suppliers/digi/callback',
      },
    });
    // The recorded exchange never holds a secret.
    expect(JSON.stringify(call.exchanges)).not.toContain('secret-api-key-123');
    expect(call.exchanges).toHaveLength(1);
    expect(call.exchanges[0]).toMatchObject({ method: 'POST', url: `${url}/transaction`, status: 200 });
  });

  it('a status check re-sends exactly the same request; testing, cost caps and customer_no templates', async () => {
    answer = (b) => ({ data: { ref_id: b.ref_id, rc: '00', status: 'Sukses', sn: 'SN-1' } });
    const c = connector({ testing: true, max_price: 'cost', customer_no: '{user_id}|{server_id}', cb_url: false }, 'https://ignored');
    const bought = await c.purchase(input, { exchanges: [] });
    const checked = await c.status({ ...input, supplierRef: null }, { exchanges: [] });
    expect(bought).toEqual({ kind: 'success', supplierRef: null, sn: 'SN-1', voucher: 'SN-1' });
    expect(checked).toEqual(bought);
    const [a, b] = received.slice(-2);
    expect(a!.body).toEqual(b!.body);
    expect(a!.body).toMatchObject({ testing: true, max_price: 18_100, customer_no: '123456789|1234' });
    expect(a!.body).not.toHaveProperty('cb_url');
    const none = connector({ max_price: 'none' });
    await none.purchase({ ...input, serverId: null }, { exchanges: [] });
    expect(received.at(-1)!.body).not.toHaveProperty('max_price');
    expect(received.at(-1)!.body.customer_no).toBe('123456789');
  });

  it('balance is /cek-saldo with md5(username + key + "depo"), whole rupiah', async () => {
    answer = () => ({ data: { deposit: 1234567.89 } });
    expect(await connector().balance!({ exchanges: [] })).toBe(1_234_567);
    expect(received.at(-1)).toEqual({ path: '/v1/cek-saldo', body: { cmd: 'deposit', username: 'kiosbuyer', sign: createHash('md5').update('kiosbuyersecret-api-key-123depo').digest('hex') } });
    answer = () => ({ data: { rc: '41', message: 'Signature Anda salah' } });
    await expect(connector().balance!({ exchanges: [] })).rejects.toThrow('rc 41 Signature Anda salah');
  });

  it('webhooks: verified before read; pings acknowledged; without a webhook_secret nothing is trusted', () => {
    const c = connector();
    const body = JSON.stringify({ data: { ref_id: REF, customer_no: '1234567891234', buyer_sku_code: 'ML86', message: 'Sukses', status: 'Sukses', rc: '00', sn: 'SN-9' } });
    const sig = `sha1=${createHmac('sha1', 'secret-webhook-456').update(body).digest('hex')}`;
    const req = (rawBody: string, signature?: string) => ({ method: 'POST', headers: signature ? { 'x-hub-signature': signature } : {}, rawBody, query: {}, ip: '127.0.0.1' });
    expect(c.parseCallback!(req(body, sig))).toEqual({ kind: 'outcome', ref: REF, outcome: { kind: 'success', supplierRef: null, sn: 'SN-9', voucher: 'SN-9' } });
    expect(c.parseCallback!(req(body))).toMatchObject({ kind: 'refused', status: 401 });
    expect(c.parseCallback!(req(body.replace('SN-9', 'SN-0'), sig))).toMatchObject({ kind: 'refused', status: 401 });
    const ping = JSON.stringify({ sed: 'AgXXtVAHp', hook_id: '11aaabbb', hook: { url: 'x' } });
    expect(c.parseCallback!(req(ping, `sha1=${createHmac('sha1', 'secret-webhook-456').update(ping).digest('hex')}`))).toEqual({ kind: 'ack', note: 'ping received' });
    const noSecret = digiflazzFactory.create(digiflazzConfigSchema.parse({ base_url: url, username: 'u', api_key: 'k' }), { supplierId: 'd', log: pino({ level: 'silent' }), timeoutMs: 1000, dataDir: '/tmp', callbackUrl: null, dispatcher });
    expect(noSecret.parseCallback!(req(body, sig))).toMatchObject({ kind: 'refused', status: 401 });
  });
});
