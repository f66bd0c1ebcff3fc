import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_FAILURES } from '../../src/auth/throttle.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { memberSession, PASSWORD, type DashboardClient } from '../helpers/dashboard.js';
import { TestKios, type Reseller } from '../helpers/kios.js';

/**
 * The reseller dashboard's API, through HTTP with a real session: every route answers only for the
 * session's reseller, another reseller's ids are not found, refusals change nothing, and the key
 * routes re-check the password.
 */
describe.each(DIALECTS)('member API (%s)', (dialect) => {
  let t: TestKios;
  let a: Reseller;
  let b: Reseller;
  let ca: DashboardClient;
  let cb: DashboardClient;
  let sink: CallbackSink;
  // B's things, which A probes for.
  let bInvoice: string;
  let bTicket: string;
  let bProject: string;

  beforeAll(async () => {
    t = await TestKios.start(dialect, { DEPOSIT_MIN: '10000' });
    sink = await CallbackSink.start();
    await t.kios.deposits.banks.add({ code: 'bca', bank: 'BCA', number: '1234567890', holder: 'PT Kios' });
    a = await t.reseller({ email: 'a@example.com' });
    b = await t.reseller({ email: 'b@example.com' });
    ca = await memberSession(t, a.id);
    cb = await memberSession(t, b.id);
    const placed = await t.order(b.apiKey, { product_code: 'S1_1187', user_id: '12345678', server_id: '1234', trx_id: 'B-TRX-1' });
    expect(placed.status, placed.text).toBe(201);
    bInvoice = placed.json.data.invoice_number;
    await t.settle(bInvoice);
    bTicket = (await t.kios.deposits.request(b.id, 50_000)).id;
    bProject = (await t.kios.redeem.createProject({ id: b.id, roleCode: 'platinum' }, ['ABCDEFGH12345678'], null)).projectId;
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  it('lists its own ledger, orders and one order; another reseller\'s invoice is 404', async () => {
    const ledger = await cb.get('/api/member/ledger?limit=10');
    expect(ledger.status, ledger.text).toBe(200);
    expect(ledger.json.items.map((e: any) => e.kind)).toEqual(['order_debit', 'deposit']);
    expect(ledger.json.items[0].invoice).toBe(bInvoice);
    expect((await ca.get('/api/member/ledger')).json.items.map((e: any) => e.kind)).toEqual(['deposit']);

    const orders = await cb.get(`/api/member/orders?q=B-TRX-1`);
    expect(orders.json.items.map((o: any) => o.invoice)).toEqual([bInvoice]);
    expect((await ca.get(`/api/member/orders?q=B-TRX-1`)).json.items).toEqual([]);
    const one = await cb.get(`/api/member/orders/${bInvoice}`);
    expect(one.status).toBe(200);
    expect(one.json.history[0].type).toBe('created');
    const probe = await ca.get(`/api/member/orders/${bInvoice}`);
    expect(probe.status).toBe(404);
    expect(probe.json.error.code).toBe('NOT_FOUND');
  });

  it('probes every id-taking route with another reseller\'s ids: 404 NOT_FOUND, nothing changed', async () => {
    const before = await t.snapshot();
    const ticketBefore = await t.kios.deposits.get(bTicket);
    for (const [method, path] of [
      ['GET', `/api/member/orders/${encodeURIComponent(bInvoice)}`],
      ['GET', `/api/member/deposits/${bTicket}`],
      ['POST', `/api/member/deposits/${bTicket}/cancel`],
      ['GET', `/api/member/redeem/projects/${bProject}`],
    ] as const) {
      const r = await ca.call(method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.error.code).toBe('NOT_FOUND');
    }
    expect(await t.snapshot()).toEqual(before);
    expect(await t.kios.deposits.get(bTicket)).toEqual(ticketBefore);
    // And B itself can.
    expect((await cb.get(`/api/member/redeem/projects/${bProject}`)).json.vouchers[0].code).toMatch(/\*/);
    expect((await cb.get(`/api/member/deposits/${bTicket}`)).status).toBe(200);
  });

  it('downloads Mutasi and prices as CSV with a BOM', async () => {
    const csv = await cb.get('/api/member/ledger.csv?kind=deposit');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment/);
    // fetch's text() drops a BOM: read the bytes.
    const raw = Buffer.from(await (await fetch(`${t.url}/api/member/ledger.csv?kind=deposit`, { headers: { cookie: cb.cookie! } })).arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.text.startsWith('time,kind,amount')).toBe(true);
    expect(csv.text.trim().split('\r\n')).toHaveLength(2);
    const bad = await cb.get('/api/member/ledger.csv?kind=gift');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('VALIDATION');
    const prices = await cb.get('/api/member/prices.csv?q=s1_');
    expect(prices.text.startsWith('category,code,name,price,active\r\n')).toBe(true);
    const list = await cb.get('/api/member/prices?q=S1_1187');
    expect(list.json.items.map((p: any) => p.code)).toEqual(['S1_1187']);
  });

  it('reveals and rotates the key only with the password; the old key stops working', async () => {
    const r = await memberSession(t, (await t.reseller({ email: 'rot@example.com' })).id);
    const id = (await r.get('/api/member/auth/session')).json.session.reseller.id;
    const oldKey = await t.kios.resellers.apiKeyOf(id);
    const wrong = await r.post('/api/member/credentials/reveal', { password: 'not it' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.text).not.toContain(oldKey);
    const wrongRotate = await r.post('/api/member/credentials/rotate', { password: 'not it' });
    expect(wrongRotate.status).toBe(401);
    expect(await t.kios.resellers.apiKeyOf(id)).toBe(oldKey);

    const shown = await r.post('/api/member/credentials/reveal', { password: PASSWORD });
    expect(shown.json).toEqual({ apiKey: oldKey });
    const noCsrf = await r.post('/api/member/credentials/rotate', { password: PASSWORD }, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(await t.kios.resellers.apiKeyOf(id)).toBe(oldKey);

    const rotated = await r.post('/api/member/credentials/rotate', { password: PASSWORD });
    expect(rotated.status).toBe(200);
    expect(rotated.json.apiKey).not.toBe(oldKey);
    expect((await t.request('GET', '/v1/user', { key: oldKey })).status).toBe(404);
    expect((await t.request('GET', '/v1/user', { key: rotated.json.apiKey })).status).toBe(200);
    // The session survives; the audit log has both, never the key.
    expect((await r.get('/api/member/auth/session')).status).toBe(200);
    const audit = await t.kios.db.kysely.selectFrom('audit_log').selectAll().where('target_id', '=', id).execute();
    expect(audit.map((x) => [x.actor_type, x.action])).toEqual(expect.arrayContaining([['member', 'credentials.reveal'], ['member', 'credentials.rotate']]));
    expect(JSON.stringify(audit)).not.toContain(rotated.json.apiKey);
  });

  it('throttles password guesses on the key routes like log-in', async () => {
    const r = await memberSession(t, (await t.reseller()).id);
    const codes: number[] = [];
    for (let i = 0; i <= ACCOUNT_FAILURES; i++) codes.push((await r.post('/api/member/credentials/reveal', { password: `guess ${i}` })).status);
    expect(codes.slice(0, ACCOUNT_FAILURES).every((c) => c === 401)).toBe(true);
    expect(codes.at(-1)).toBe(429);
    // Even the right password now waits: a stolen session cannot keep guessing.
    const right = await r.post('/api/member/credentials/reveal', { password: PASSWORD });
    expect(right.status).toBe(429);
    expect(right.json.error.code).toBe('TOO_MANY_REQUESTS');
  });

  it('adds and removes whitelist entries, offers the caller\'s IP, refuses junk without change', async () => {
    const first = await ca.get('/api/member/whitelist');
    expect(first.json).toEqual({ entries: [], yourIp: '127.0.0.1' });
    const added = await ca.post('/api/member/whitelist', { entry: '127.0.0.1' });
    expect(added.json.entries).toEqual(['127.0.0.1']);
    const junk = await ca.post('/api/member/whitelist', { entry: 'not-an-ip' });
    expect(junk.status).toBe(400);
    expect((await t.kios.resellers.get(a.id)).ipWhitelist).toEqual(['127.0.0.1']);
    const missing = await ca.post('/api/member/whitelist/remove', { entry: '10.0.0.1' });
    expect(missing.status).toBe(400);
    expect((await ca.post('/api/member/whitelist/remove', { entry: '127.0.0.1' })).json.entries).toEqual([]);
  });

  it('sets the webhook, sends a signed test callback and reports the answer, clears it', async () => {
    expect((await ca.post('/api/member/webhook/test')).status).toBe(409);
    const set = await ca.call('PUT', '/api/member/webhook', { body: { url: `${sink.url}/cb` } });
    expect(set.json).toEqual({ url: `${sink.url}/cb` });
    const sent = await ca.post('/api/member/webhook/test');
    expect(sent.status, sent.text).toBe(200);
    expect(sent.json).toMatchObject({ status: 200, body: 'OK', error: null });
    expect(JSON.parse(sink.received.at(-1)!.body)).toMatchObject({ test: true, status: 'TEST' });
    const bad = await ca.call('PUT', '/api/member/webhook', { body: { url: 'ftp://x' } });
    expect(bad.status).toBe(400);
    expect((await ca.get('/api/member/webhook')).json).toEqual({ url: `${sink.url}/cb` });
    expect((await ca.call('PUT', '/api/member/webhook', { body: { url: null } })).json).toEqual({ url: null });
  });

  it('requests a deposit ticket, lists it, cancels it; bad amounts change nothing', async () => {
    const banks = await ca.get('/api/member/deposit-banks');
    expect(banks.json.items.map((x: any) => x.code)).toEqual(['bca']);
    const before = await t.kios.deposits.list({ resellerId: a.id });
    for (const amount of [0, 5, 1.5, -10_000]) {
      const r = await ca.post('/api/member/deposits', { amount });
      expect(r.status, String(amount)).toBe(400);
    }
    expect((await ca.post('/api/member/deposits', { amount: 50_000, bank: 'nope' })).status).toBeGreaterThanOrEqual(400);
    expect(await t.kios.deposits.list({ resellerId: a.id })).toEqual(before);
    const tk = await ca.post('/api/member/deposits', { amount: 50_000 });
    expect(tk.status, tk.text).toBe(200);
    expect(tk.json.total - 50_000).toBe(tk.json.uniqueCode);
    expect(tk.json.bank.number).toBe('1234567890');
    expect((await ca.get('/api/member/deposits')).json.items.map((x: any) => x.id)).toContain(tk.json.id);
    const cancelled = await ca.post(`/api/member/deposits/${tk.json.id}/cancel`);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await ca.post(`/api/member/deposits/${tk.json.id}/cancel`)).json.status).toBe('cancelled');
  });

  it('lists redeem projects of its own only', async () => {
    expect((await ca.get('/api/member/redeem/projects')).json.items).toEqual([]);
    expect((await cb.get('/api/member/redeem/projects')).json.items.map((p: any) => p.projectId)).toEqual([bProject]);
  });

  it('refuses everything without a session', async () => {
    for (const path of ['/api/member/ledger', '/api/member/orders', '/api/member/prices', '/api/member/whitelist', '/api/member/webhook', '/api/member/deposits', '/api/member/redeem/projects']) {
      const r = await t.request('GET', path);
      expect(r.status, path).toBe(401);
    }
    const apiKey = await t.request('GET', '/api/member/ledger', { key: a.apiKey });
    expect(apiKey.status).toBe(401);
  });
});
