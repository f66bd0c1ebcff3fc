import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApigamesFake } from '../../../test/fakes/apigames.js';
import type { HttpAnswer } from '../kit/http.js';
import type { CallContext, InboundRequest, PurchaseInput, StatusOutcome } from '../types.js';
import { apigamesConfigSchema, apigamesFactory } from './index.js';
import { accountCheckAnswer, purchaseAnswer, statusAnswer, transactionOutcome } from './mapping.js';
import { accountSign, PRODUCTION_URL, transactionSign, usernameSign, verifyWebhook, webhookAuthorization } from './protocol.js';

const REF = 'ord_01jexample-1';
const MID = 'M240101FAKE0001AG';
const KEY = 'apigames-fake-secret-key-0123456789abcdef';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('APIGames signatures', () => {
  it('are the documented md5 formulas, byte for byte', () => {
    // Vectors computed outside this code base: printf %s 'M240101FAKE0001AG:apigames-fake-secret-key-0123456789abcdef:ord_01jexample-1' | md5sum
    // (and the same without the reference, and with no colon at all).
    expect(transactionSign(MID, KEY, REF)).toBe('8c9dc86d5d2796267779f107ae61ec7b');
    expect(webhookAuthorization(MID, KEY, REF)).toBe('8c9dc86d5d2796267779f107ae61ec7b');
    expect(accountSign(MID, KEY)).toBe('984dc8177cfa97c6da1f19cd9e632e61');
    expect(usernameSign(MID, KEY)).toBe('fdc45eb76c5caf96c98039f47eef5efb');
    // And the formulas themselves, written out: colons everywhere except the nickname check.
    expect(transactionSign('m', 's', 'r-9')).toBe(md5('m:s:r-9'));
    expect(accountSign('m', 's')).toBe(md5('m:s'));
    expect(usernameSign('m', 's')).toBe(md5('ms'));
  });

  it('X-Apigames-Authorization is verified against md5(mid:secret:ref_id), in constant time, for that ref_id only', () => {
    const good = md5(`${MID}:${KEY}:${REF}`);
    expect(verifyWebhook(good, MID, KEY, REF)).toBe(true);
    expect(verifyWebhook(good.toUpperCase(), MID, KEY, REF)).toBe(true);
    expect(verifyWebhook(` ${good} `, MID, KEY, REF)).toBe(true);
    expect(verifyWebhook(good, MID, KEY, 'ord_01jexample-2')).toBe(false);
    expect(verifyWebhook(good, MID, 'other-secret', REF)).toBe(false);
    expect(verifyWebhook(good.slice(1), MID, KEY, REF)).toBe(false);
    expect(verifyWebhook(undefined, MID, KEY, REF)).toBe(false);
    expect(verifyWebhook('', MID, KEY, REF)).toBe(false);
  });
});

/**
 * The published status words and what each must do to an attempt, written here independently of
 * the connector (RULINGS section 5: only "Gagal" fails; "Proses" and "Validasi Provider" are
 * pending; "Sukses Sebagian" carries no delivered amount, so it waits for the operator).
 * `pending:alert`: pending and the operator is alerted; `pending:ambiguous`: nothing proves
 * APIGames holds the purchase.
 */
const WORDS: [status: string, expected: string][] = [
  ['Sukses', 'success'],
  ['Gagal', 'failed:route'],
  ['Pending', 'pending'],
  ['Proses', 'pending'],
  ['Sukses Sebagian', 'pending:alert'],
  ['Validasi Provider', 'pending:alert'],
  ['SUKSES', 'success'],
  ['Refund', 'pending:ambiguous'],
  ['Berhasil', 'pending:ambiguous'],
  ['Sukses Sebagian Besar', 'pending:ambiguous'],
  ['', 'pending:ambiguous'],
];

const describeOutcome = (o: StatusOutcome) =>
  o.kind === 'failed' ? `failed:${o.scope}` : o.kind === 'pending' ? (o.ambiguous ? 'pending:ambiguous' : o.alert ? 'pending:alert' : 'pending') : o.kind;

const txn = (status: string, extra: Record<string, unknown> = {}) => ({
  merchant_id: MID,
  trx_id: 'T220926XXXXX00003',
  ref_id: REF,
  destination: '4645',
  product_code: 'ff5',
  product_code_master: 'ff5',
  message: `R#${REF} ff5.4645, status ${status.toUpperCase()}. SN/Ref: BSK.AFULP. Sisa saldo 99049000`,
  status,
  sn: 'BSK.AFULP. RefId : 12067803053055289057',
  last_balance: '99049000',
  product_detail: { name: '5 Diamond Free Fire', code: 'ff5', price: 3, price_unit: 'garena shell', rate: 250, price_rp: 750 },
  ...extra,
});

const answered = (status: number, json: unknown): HttpAnswer => ({ kind: 'answered', status, text: JSON.stringify(json), json });

describe('APIGames status words', () => {
  it.each(WORDS)('"%s" -> %s', (status, expected) => {
    const o = transactionOutcome(txn(status), REF);
    expect(describeOutcome(o)).toBe(expected);
    // The same through both endpoints' envelopes.
    expect(describeOutcome(purchaseAnswer(answered(200, { data: txn(status), status: 1 }), REF))).toBe(expected);
    expect(describeOutcome(statusAnswer(answered(200, { data: txn(status), status: 1 }), REF))).toBe(expected);
  });

  it('success carries the SN and APIGames trx_id; failure its reason; the alerts say what the operator must do', () => {
    expect(transactionOutcome(txn('Sukses'), REF)).toEqual({ kind: 'success', supplierRef: 'T220926XXXXX00003', sn: 'BSK.AFULP. RefId : 12067803053055289057' });
    expect(transactionOutcome(txn('Gagal', { sn: 'error_require_login' }), REF)).toEqual({ kind: 'failed', code: 'Gagal', scope: 'route', reason: 'Gagal: error_require_login' });
    expect(transactionOutcome(txn('Pending'), REF)).toEqual({ kind: 'pending', supplierRef: 'T220926XXXXX00003', reason: 'Pending' });
    const vp = transactionOutcome(txn('Validasi Provider'), REF);
    expect(vp).toMatchObject({ kind: 'pending', supplierRef: 'T220926XXXXX00003', alert: expect.stringMatching(/^APIGames: Validasi Provider on ord_01jexample-1 \(APIGames T220926XXXXX00003\)/) });
    expect(vp).not.toHaveProperty('ambiguous');
    const partial = transactionOutcome(txn('Sukses Sebagian'), REF);
    expect(partial).toMatchObject({ kind: 'pending', alert: expect.stringMatching(/^APIGames: Sukses Sebagian on ord_01jexample-1 .*resolve this order by hand/) });
  });

  it('an answer about another ref_id, without ref_id, or whose report line contradicts its status decides nothing', () => {
    expect(describeOutcome(transactionOutcome(txn('Sukses', { ref_id: 'ord_other-1' }), REF))).toBe('pending:ambiguous');
    expect(describeOutcome(transactionOutcome(txn('Gagal', { ref_id: 'ord_other-1' }), REF))).toBe('pending:ambiguous');
    const { ref_id: _, ...noRef } = txn('Sukses');
    expect(describeOutcome(transactionOutcome(noRef, REF))).toBe('pending:ambiguous');
    expect(describeOutcome(transactionOutcome(txn('Sukses', { message: `R#${REF} ff5.4645, status GAGAL. error. Sisa saldo 1` }), REF))).toBe('pending:ambiguous');
    expect(describeOutcome(transactionOutcome(txn('Gagal', { message: `R#${REF} ff5.4645, status SUKSES SEBAGIAN. x. Sisa saldo 1` }), REF))).toBe('pending:ambiguous');
    // A message without a report line is not a contradiction.
    expect(describeOutcome(transactionOutcome(txn('Sukses', { message: 'ok' }), REF))).toBe('success');
  });
});

describe('APIGames answers', () => {
  const both = (a: HttpAnswer) => [describeOutcome(purchaseAnswer(a, REF)), describeOutcome(statusAnswer(a, REF))];

  it('"every HTTP error and every timeout is Pending": no answer, any non-2xx (whatever its body), unreadable bodies', () => {
    expect(both({ kind: 'no_answer', error: 'no answer in time' })).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(500, { data: txn('Gagal'), status: 1 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(404, { data: txn('Gagal'), status: 1 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(400, { error_msg: 'Signature not valid', status: 0 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(429, 'Too Many Requests'))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both({ kind: 'answered', status: 200, text: '<html>', json: undefined })).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(200, { status: 1 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(200, { data: {}, status: 1 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    expect(both(answered(200, { data: txn('Sukses'), status: '1' }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
    // A transaction under a refusal envelope is not a transaction answer.
    expect(both(answered(200, { data: txn('Gagal'), status: 0 }))).toEqual(['pending:ambiguous', 'pending:ambiguous']);
  });

  it('a refused purchase is never a failure (APIGames documents none as "nothing created"); the operator is alerted', () => {
    const refused = (msg: string) => purchaseAnswer(answered(200, { error_msg: msg, status: 0 }), REF);
    expect(refused('Signature not valid')).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'refused: Signature not valid', alert: expect.stringMatching(/credentials.*check merchant_id and secret_key/) });
    expect(refused('Merchant not found')).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.stringMatching(/credentials/) });
    expect(refused('Saldo tidak mencukupi')).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.stringMatching(/refused the purchase ord_01jexample-1/) });
    expect(refused('Produk tidak ditemukan')).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.any(String) });
    // A reference already taken: APIGames holds something under it; the status check will tell.
    const dup = refused('Ref ID sudah digunakan');
    expect(dup).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(dup).not.toHaveProperty('alert');
    expect(purchaseAnswer(answered(200, { status: 0, rc: 500, error_msg: '' }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('a status check says not_found only when the transaction itself is named unknown', () => {
    const refused = (msg: string) => statusAnswer(answered(200, { error_msg: msg, status: 0 }), REF);
    expect(refused('Transaksi tidak ditemukan')).toEqual({ kind: 'not_found' });
    expect(refused('Ref ID tidak ditemukan')).toEqual({ kind: 'not_found' });
    expect(refused('Transaction not found')).toEqual({ kind: 'not_found' });
    expect(statusAnswer(answered(200, { status: 0, rc: 500, error_msg: 'Transaksi tidak ditemukan' }), REF)).toEqual({ kind: 'not_found' });
    expect(refused('Merchant not found')).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.any(String) });
    expect(refused('Signature not valid')).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.any(String) });
    expect(refused('Produk tidak ditemukan')).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(refused('Project ID tidak ditemukan')).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(refused('Transaksi tidak ditemukan, coba lagi nanti')).toMatchObject({ kind: 'pending', ambiguous: true });
    // Not on an HTTP error, whatever the body says.
    expect(statusAnswer(answered(404, { error_msg: 'Transaksi tidak ditemukan', status: 0 }), REF)).toMatchObject({ kind: 'pending', ambiguous: true });
  });

  it('nickname checks: the documented found and not-found answers; anything else lets the order go on', () => {
    expect(accountCheckAnswer(answered(200, { status: 1, rc: 0, message: 'Data Found', data: { is_valid: true, username: '•CUMAN BISA MM•' }, ts: 1650529102 }))).toEqual({ kind: 'ok', nickname: '•CUMAN BISA MM•' });
    expect(accountCheckAnswer(answered(200, { status: 1, rc: 0, message: 'Data Not Found', data: { is_valid: false, username: '' }, ts: 1650529145 }))).toEqual({ kind: 'not_found', reason: 'Data Not Found' });
    expect(accountCheckAnswer(answered(200, { status: 0, rc: 50, error_msg: 'Engine higgsj belum tersedia' }))).toMatchObject({ kind: 'unavailable' });
    expect(accountCheckAnswer(answered(502, 'Bad Gateway'))).toMatchObject({ kind: 'unavailable' });
    expect(accountCheckAnswer({ kind: 'no_answer', error: 'no answer in time' })).toMatchObject({ kind: 'unavailable' });
    expect(accountCheckAnswer(answered(200, { status: 1, data: { is_valid: true, username: '' } }))).toMatchObject({ kind: 'unavailable' });
  });
});

describe('APIGames configuration', () => {
  it('defaults to the production host and to checking webhooks with the status endpoint', () => {
    expect(PRODUCTION_URL).toBe('https://v1.apigames.id');
    expect(apigamesConfigSchema.parse({ merchant_id: 'M1', secret_key: 'k' })).toEqual({ base_url: 'https://v1.apigames.id', merchant_id: 'M1', secret_key: 'k', webhook: 'check' });
    const full = apigamesConfigSchema.parse({ merchant_id: 'M1', secret_key: 'k', check_games: { ML: 'mobilelegend' }, webhook: 'trust', rate_limit: { requests: 10, per_seconds: 1 }, balance_alert: 100_000 });
    expect(full).toMatchObject({ check_games: { ML: 'mobilelegend' }, webhook: 'trust', balance_alert: 100_000 });
  });

  it('names the bad keys and never quotes a value', () => {
    const r = apigamesConfigSchema.safeParse({ secret_key: 12345678901234, base_url: 'ftp://x', webhook: 'sometimes', check_games: { 'M L': 'mobile legend' }, other: 'x-secret-998877' });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error!.issues.map((i) => [i.path.join('.'), i.message]));
    for (const key of ['merchant_id', 'secret_key', 'base_url', 'webhook', 'check_games', 'other']) expect(text).toContain(key);
    expect(text).not.toContain('12345678901234');
    expect(text).not.toContain('x-secret-998877');
    const empty = apigamesConfigSchema.safeParse({ merchant_id: 'M1', secret_key: '   ' });
    expect(empty.error!.issues.map((i) => i.message)).toEqual(['secret_key is required']);
  });

  it('is the "apigames" kind: secret_key is its credential, it takes callbacks, it has no catalog', () => {
    expect(apigamesFactory).toMatchObject({ kind: 'apigames', title: 'APIGames', secretKeys: ['secret_key'], callbacks: true });
    const c = apigamesFactory.create(apigamesConfigSchema.parse({ merchant_id: 'M1', secret_key: 'k' }), { supplierId: 'ag', log: pino({ level: 'silent' }), timeoutMs: 1000, dataDir: '/tmp', callbackUrl: null, dispatcher: new Agent() });
    expect(c.catalog).toBeUndefined();
    expect(c.rateLimit).toBeNull();
  });
});

describe('APIGames against the fake', () => {
  let fake: ApigamesFake;
  let sink: Server;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const waiting: (() => void)[] = [];
  const dispatcher = new Agent();
  const contexts: CallContext[] = [];

  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end('{"ok":true}');
        for (const w of waiting.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    fake = await ApigamesFake.start({ merchantId: MID, secretKey: KEY, price: 5_000, balance: 1_000_000, callbackUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/cb` });
  });
  afterAll(async () => {
    await fake.close();
    sink.closeAllConnections();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
    await dispatcher.close();
  });

  /** Resolves when the sink has received a webhook about `ref`. */
  const webhookFor = async (ref: string) => {
    const find = () => received.find((r) => (JSON.parse(r.body) as { ref_id?: string }).ref_id === ref);
    while (!find()) await new Promise<void>((resolve) => waiting.push(resolve));
    return find()!;
  };

  const connector = (extra: Record<string, unknown> = {}, timeoutMs = 2000) =>
    apigamesFactory.create(apigamesConfigSchema.parse(fake.config(extra)), { supplierId: 'ag', log: pino({ level: 'silent' }), timeoutMs, dataDir: '/tmp', callbackUrl: 'https://kios.example.com/suppliers/ag/callback', dispatcher });
  const call = (): CallContext => ({ exchanges: [] });
  /** A call whose exchanges are kept, for the final "no secret in any exchange" check. */
  const kept = (): CallContext => {
    const c = call();
    contexts.push(c);
    return c;
  };
  let seq = 0;
  const input = (userId: string, serverId: string | null = '2001'): PurchaseInput => {
    seq += 1;
    const ref = `ord_01japigames${seq}-1`;
    return { ref, sku: 'ML86', userId, serverId, inputs: [{ key: 'user_id', value: userId }, ...(serverId ? [{ key: 'server_id', value: serverId }] : [])], price: 20_000, cost: 5_000 };
  };
  const statusOf = (i: PurchaseInput) => ({ ...i, supplierRef: null });

  it('a purchase is POST /v2/transaksi with the documented fields in order; the first answer is Pending, held by APIGames', async () => {
    const i = input('123456789');
    const c = kept();
    const o = await connector().purchase(i, c);
    expect(o).toEqual({ kind: 'pending', supplierRef: expect.stringMatching(/^T\d+/), reason: 'Pending' });
    const sent = fake.requests.filter((r) => r.path === '/v2/transaksi').at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.body).toBe(JSON.stringify({ ref_id: i.ref, merchant_id: MID, produk: 'ML86', tujuan: '123456789', server_id: '2001', signature: md5(`${MID}:${KEY}:${i.ref}`) }));
    expect(c.exchanges).toHaveLength(1);
    expect(c.exchanges[0]).toMatchObject({ method: 'POST', url: `${fake.url}/v2/transaksi`, status: 200 });
    // Without a server id, server_id is the empty string the documents ask for.
    const j = input('223456789', null);
    await connector().purchase(j, kept());
    expect(JSON.parse(fake.requests.filter((r) => r.path === '/v2/transaksi').at(-1)!.body)).toMatchObject({ ref_id: j.ref, server_id: '' });
  });

  it('status only calls the status endpoint, never the order endpoint, from pending to success', async () => {
    const c = connector();
    const i = input('300000666'); // Validasi Provider until moved
    const before = { ...fake.calls };
    expect(await c.purchase(i, kept())).toMatchObject({ kind: 'pending' });
    const checks: StatusOutcome[] = [];
    const check = async () => {
      const cc = kept();
      checks.push(await c.status(statusOf(i), cc));
      expect(cc.exchanges).toHaveLength(1);
      expect(cc.exchanges[0]!.method).toBe('GET');
      expect(cc.exchanges[0]!.url).toMatch(new RegExp(`^${fake.url}/v2/transaksi/status\\?merchant_id=${MID}&ref_id=${i.ref}&signature=[0-9a-f]{32}$`));
    };
    await check();
    fake.setStatus(i.ref, 'Proses');
    await check();
    await check();
    fake.setStatus(i.ref, 'Sukses');
    await check();
    expect(checks.map(describeOutcome)).toEqual(['pending:alert', 'pending', 'pending', 'success']);
    expect(checks[0]).toMatchObject({ alert: expect.stringMatching(/^APIGames: Validasi Provider/) });
    expect(checks[3]).toMatchObject({ kind: 'success', supplierRef: expect.stringMatching(/^T/), sn: expect.stringMatching(/^SN/) });
    // One order, four status checks: the order endpoint was called exactly once for this reference.
    expect(fake.calls.order - before.order).toBe(1);
    expect(fake.calls.status - before.status).toBe(4);
    expect(fake.orderRequests.get(i.ref)).toBe(1);
    expect(fake.txns.get(i.ref)!.requests).toBe(1);
  });

  it('ordinary, partial, failed and refused purchases, as the status checks then report them', async () => {
    const c = connector();
    const ok = input('400000001');
    const partial = input('400000777');
    const failed = input('400000404');
    const refused = input('400000999');
    for (const i of [ok, partial, failed]) expect(await c.purchase(i, kept())).toMatchObject({ kind: 'pending', reason: 'Pending' });
    expect(await c.purchase(refused, kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'refused: Produk sedang gangguan', alert: expect.any(String) });
    expect(describeOutcome(await c.status(statusOf(ok), kept()))).toBe('success');
    expect(await c.status(statusOf(partial), kept())).toMatchObject({ kind: 'pending', alert: expect.stringMatching(/Sukses Sebagian/) });
    expect(await c.status(statusOf(failed), kept())).toMatchObject({ kind: 'failed', scope: 'route', code: 'Gagal' });
    // Nothing was created under the refused reference, and a repeat of it books nothing.
    expect(await c.status(statusOf(refused), kept())).toEqual({ kind: 'not_found' });
    expect(await c.purchase(refused, kept())).toMatchObject({ kind: 'pending', ambiguous: true });
    expect(fake.txns.has(refused.ref)).toBe(false);
    // A repeated reference is never booked twice.
    expect(await c.purchase(ok, kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'refused: Ref ID sudah digunakan' });
    expect(fake.orderRequests.get(ok.ref)).toBe(2);
    expect(fake.txnsFor(ok.ref.replace(/-1$/, ''))).toHaveLength(1);
  });

  it('HTTP faults and timeouts are pending; an order processed before its 5xx is found by the status check', async () => {
    const c = connector({}, 300);
    const i = input('500000001');
    fake.faultFor = (path) => (path === '/v2/transaksi' ? '5xx-after' : undefined);
    expect(await c.purchase(i, kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'HTTP 500' });
    fake.faultFor = (path) => (path === '/v2/transaksi/status' ? 'hang-before' : undefined);
    fake.faults = { hangMs: 2_000 };
    expect(await c.status(statusOf(i), kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'no answer: no answer in time' });
    fake.faultFor = null;
    expect(describeOutcome(await c.status(statusOf(i), kept()))).toBe('success');
    expect(fake.orderRequests.get(i.ref)).toBe(1);
  });

  it('wrong credentials: every answer stays pending and alerts; the balance call fails; checks go on without a nickname', async () => {
    const c = connector({ secret_key: 'not-the-secret-key', check_games: { ML: 'mobilelegend' } });
    const i = input('600000001');
    expect(await c.purchase(i, kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'refused: Signature not valid', alert: expect.stringMatching(/credentials/) });
    expect(await c.status(statusOf(i), kept())).toMatchObject({ kind: 'pending', ambiguous: true, alert: expect.stringMatching(/credentials/) });
    expect(fake.txns.has(i.ref)).toBe(false);
    await expect(c.balance!(kept())).rejects.toThrow('HTTP 200: Signature Not Valid');
    expect(await c.checkAccount!({ sku: 'ML86', userId: '123456789', serverId: '2001' }, kept())).toMatchObject({ kind: 'unavailable' });
    const other = connector({ merchant_id: 'M-SOMEONE-ELSE' });
    expect(await other.purchase(input('600000002'), kept())).toMatchObject({ kind: 'pending', ambiguous: true, reason: 'refused: Merchant not found' });
  });

  it('balance is GET /merchant/{mid} signed md5(mid:secret), in whole rupiah', async () => {
    const c = kept();
    expect(await connector().balance!(c)).toBe(fake.balance);
    expect(c.exchanges[0]!.url).toBe(`${fake.url}/merchant/${MID}?signature=${md5(`${MID}:${KEY}`)}`);
  });

  it('nickname checks: cek-username/{game} by check_games prefix, user id + server id, signed md5(mid+secret)', async () => {
    const c = connector({ check_games: { ml: 'mobilelegend', FF: 'freefire', FFMAX: 'higgs' } });
    const k = kept();
    expect(await c.checkAccount!({ sku: 'ML86', userId: '123456789', serverId: '2001' }, k)).toEqual({ kind: 'ok', nickname: 'Fake-2001' });
    expect(k.exchanges[0]!.url).toBe(`${fake.url}/merchant/${MID}/cek-username/mobilelegend?user_id=1234567892001&signature=${md5(MID + KEY)}`);
    expect(await c.checkAccount!({ sku: 'ML86', userId: '0123456', serverId: null }, kept())).toEqual({ kind: 'not_found', reason: 'Data Not Found' });
    const ff = kept();
    await c.checkAccount!({ sku: 'ff70', userId: '987654', serverId: null }, ff);
    expect(ff.exchanges[0]!.url).toContain('/cek-username/freefire?user_id=987654&');
    const longest = kept();
    await c.checkAccount!({ sku: 'FFMAX70', userId: '987654', serverId: null }, longest);
    expect(longest.exchanges[0]!.url).toContain('/cek-username/higgs?');
    // An SKU no prefix maps is not checked at all.
    const none = kept();
    expect(await c.checkAccount!({ sku: 'PUBG60', userId: '987654', serverId: null }, none)).toMatchObject({ kind: 'unavailable' });
    expect(none.exchanges).toHaveLength(0);
    expect(await connector().checkAccount!({ sku: 'ML86', userId: '123456789', serverId: null }, kept())).toMatchObject({ kind: 'unavailable' });
  });

  it('webhooks: verified before anything is read; "check" trusts only the reference, "trust" maps the body', async () => {
    const i = input('700000001');
    await connector().purchase(i, kept());
    const hook = await webhookFor(i.ref);
    const req = (rawBody: string, authorization?: string, method = 'POST'): InboundRequest => ({
      method,
      headers: authorization === undefined ? {} : { 'x-apigames-authorization': authorization },
      rawBody,
      query: {},
      ip: '127.0.0.1',
    });
    const authorization = hook.headers['x-apigames-authorization'] as string;
    expect(authorization).toBe(md5(`${MID}:${KEY}:${i.ref}`));

    const checking = connector();
    const trusting = connector({ webhook: 'trust' });
    expect(checking.parseCallback!(req(hook.body, authorization))).toEqual({ kind: 'check', ref: i.ref });
    expect(trusting.parseCallback!(req(hook.body, authorization))).toEqual({ kind: 'outcome', ref: i.ref, outcome: { kind: 'success', supplierRef: expect.stringMatching(/^T/), sn: expect.stringMatching(/^SN/) } });

    for (const c of [checking, trusting]) {
      expect(c.parseCallback!(req(hook.body))).toMatchObject({ kind: 'refused', status: 401 });
      expect(c.parseCallback!(req(hook.body, ''))).toMatchObject({ kind: 'refused', status: 401 });
      expect(c.parseCallback!(req(hook.body, md5(`${MID}:wrong:${i.ref}`)))).toMatchObject({ kind: 'refused', status: 401 });
      // The body names another reference than the one the header was made for.
      expect(c.parseCallback!(req(hook.body.replace(i.ref, 'ord_01jforged-1'), authorization))).toMatchObject({ kind: 'refused', status: 401 });
      expect(c.parseCallback!(req('not json', authorization))).toMatchObject({ kind: 'refused', status: 400 });
      expect(c.parseCallback!(req('{"status":"Sukses"}', authorization))).toMatchObject({ kind: 'refused', status: 400 });
      expect(c.parseCallback!(req(hook.body, authorization, 'GET'))).toMatchObject({ kind: 'refused', status: 400 });
    }
    // The signature does not cover the status: in "check" mode a changed status decides nothing.
    const changed = fake.webhook(i.ref, 'Gagal');
    expect(changed.authorization).toBe(authorization);
    expect(checking.parseCallback!(req(changed.body, changed.authorization))).toEqual({ kind: 'check', ref: i.ref });
    expect(trusting.parseCallback!(req(fake.webhook(i.ref, 'Validasi Provider').body, authorization))).toMatchObject({ kind: 'outcome', outcome: { kind: 'pending', alert: expect.stringMatching(/^APIGames: Validasi Provider/) } });
    expect(trusting.parseCallback!(req(JSON.stringify({ ref_id: i.ref }), authorization))).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('no exchange recorded in any of these tests holds the secret key', () => {
    const exchanges = contexts.flatMap((c) => c.exchanges);
    expect(exchanges.length).toBeGreaterThan(20);
    expect(JSON.stringify(exchanges)).not.toContain(KEY);
    expect(JSON.stringify(exchanges)).not.toContain('not-the-secret-key');
  });
});
