import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { expectErrorEnvelope } from '../helpers/json-api.js';
import { TestKios, type HttpResult, type Reseller } from '../helpers/kios.js';

/**
 * Who may see and spend what (RULINGS section 1, "Authentication" and "Orders"): per-reseller
 * isolation, the two accepted forms of the API key, the IP whitelist (IPv4, IPv6, CIDR,
 * IPv4-mapped IPv6) and key rotation.
 */

const ORDER = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' };

/** Whether this machine can listen on the IPv6 loopback (some containers have IPv6 off). */
const IPV6 = await new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(0, '::1', () => s.close(() => resolve(true)));
});

describe.each(DIALECTS)('reseller isolation and API keys (%s)', (dialect) => {
  let t: TestKios;
  let a: Reseller;
  let b: Reseller;
  let aInvoice: string;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    a = await t.reseller({ balance: 100_000, name: 'Reseller A', email: `a-${dialect}@example.com` });
    b = await t.reseller({ balance: 50_000, name: 'Reseller B', email: `b-${dialect}@example.com` });
    const res = await t.order(a.apiKey, { ...ORDER, trx_id: 'shared-trx' });
    expect(res.status).toBe(201);
    aInvoice = res.json.data.invoice_number;
    await t.settle(aInvoice);
  });
  afterAll(async () => t?.close());

  it("another reseller's invoice number and trx_id are INVOICE_NOT_FOUND, and reveal nothing", async () => {
    // A sees its own order both ways...
    expect((await t.request('GET', `/v1/status/${aInvoice}`, { key: a.apiKey })).json.data.invoice_number).toBe(aInvoice);
    expect((await t.request('GET', '/v1/status/trx-id/shared-trx', { key: a.apiKey })).json.data.invoice_number).toBe(aInvoice);
    // ... B sees neither.
    const before = await t.snapshot();
    const byInvoice = await t.request('GET', `/v1/status/${aInvoice}`, { key: b.apiKey });
    expectErrorEnvelope(byInvoice, 404, 'INVOICE_NOT_FOUND', 'B asks for A invoice');
    const byTrx = await t.request('GET', '/v1/status/trx-id/shared-trx', { key: b.apiKey });
    expectErrorEnvelope(byTrx, 404, 'INVOICE_NOT_FOUND', 'B asks for A trx_id');
    expect(byInvoice.text).not.toContain(aInvoice);
    expect(await t.snapshot()).toEqual(before);
  });

  it("a trx_id is unique per reseller: B may use A's, and each then sees only its own order", async () => {
    // v2 with A's trx_id is not a status check of A's order for B: it creates B's own.
    const res = await t.order(b.apiKey, { ...ORDER, trx_id: 'shared-trx' }, 'v2');
    expect(res.status, res.text).toBe(201);
    const bInvoice = res.json.data.invoice_number;
    expect(bInvoice).not.toBe(aInvoice);
    await t.settle(bInvoice);
    expect((await t.request('GET', '/v1/status/trx-id/shared-trx', { key: a.apiKey })).json.data.invoice_number).toBe(aInvoice);
    expect((await t.request('GET', '/v1/status/trx-id/shared-trx', { key: b.apiKey })).json.data.invoice_number).toBe(bInvoice);
    expectErrorEnvelope(await t.request('GET', `/v1/status/${bInvoice}`, { key: a.apiKey }), 404, 'INVOICE_NOT_FOUND', 'A asks for B invoice');
    expect(await t.balance(a.id)).toBe(100_000 - 1511);
    expect(await t.balance(b.id)).toBe(50_000 - 1511);
  });

  it("/v1/user shows the caller and nobody else, and never a key", async () => {
    const forA = await t.request('GET', '/v1/user', { key: a.apiKey });
    const forB = await t.request('GET', '/v1/user', { key: b.apiKey });
    expect(forA.json.data).toMatchObject({ user_name: 'Reseller A', user_email: `a-${dialect}@example.com`, user_balance: await t.balance(a.id) });
    expect(forB.json.data).toMatchObject({ user_name: 'Reseller B', user_email: `b-${dialect}@example.com`, user_balance: await t.balance(b.id) });
    for (const res of [forA, forB]) {
      expect(res.text).not.toContain(a.apiKey);
      expect(res.text).not.toContain(b.apiKey);
    }
  });

  it('lookups that go to the database together (one statement per turn) still answer each caller alone', async () => {
    // Started in the same tick, these share one batched read each (src/db/batched-read.ts).
    const gold = await t.reseller({ role: 'gold', balance: 1_000 });
    const [authA, authB, unknown, authGold] = await Promise.allSettled([
      t.kios.resellers.authenticate(a.apiKey, '127.0.0.1'),
      t.kios.resellers.authenticate(b.apiKey, '127.0.0.1'),
      t.kios.resellers.authenticate(`${a.apiKey}x`, '127.0.0.1'),
      t.kios.resellers.authenticate(gold.apiKey, '127.0.0.1'),
    ]);
    expect(authA.status === 'fulfilled' && authA.value.id).toBe(a.id);
    expect(authB.status === 'fulfilled' && authB.value.id).toBe(b.id);
    expect(unknown.status === 'rejected' && unknown.reason.code).toBe('API_KEY_NOT_FOUND');
    expect(authGold.status === 'fulfilled' && authGold.value.roleCode).toBe('gold');

    const [aByTrx, bByTrx, aByInvoice, bByInvoice, nobody] = await Promise.all([
      t.kios.orders.findByTrx(a.id, 'shared-trx'),
      t.kios.orders.findByTrx(b.id, 'shared-trx'),
      t.kios.orders.findByInvoice(a.id, aInvoice),
      t.kios.orders.findByInvoice(b.id, aInvoice),
      t.kios.orders.findByTrx(gold.id, 'shared-trx'),
    ]);
    expect(aByTrx?.invoice_number).toBe(aInvoice);
    expect(bByTrx?.reseller_id).toBe(b.id); // B's own order with the same trx_id (test above)
    expect(bByTrx?.invoice_number).not.toBe(aInvoice);
    expect(aByInvoice?.invoice_number).toBe(aInvoice);
    expect(bByInvoice).toBeNull();
    expect(nobody).toBeNull();

    // One product, three tiers, one read: each gets its tier's price.
    const [member, goldPrice, platinum, missing] = await Promise.all([
      t.kios.catalog.findForOrder('S1_1187', 'member'),
      t.kios.catalog.findForOrder('S1_1187', 'gold'),
      t.kios.catalog.findForOrder('S1_1187', 'platinum'),
      t.kios.catalog.findForOrder('S1_1187x', 'platinum'),
    ]);
    expect([member?.price, goldPrice?.price, platinum?.price]).toEqual([Math.ceil(1511 * 1.05), Math.ceil(1511 * 1.02), 1511]);
    expect(missing).toBeNull();

    // The same over HTTP, many interleaved requests at once.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const who = [a, b][i % 2]!;
        return i % 4 < 2 ? t.request('GET', '/v1/user', { key: who.apiKey }).then((r) => [who, r.json.data.user_email] as const) : t.request('GET', `/v1/status/${aInvoice}`, { key: who.apiKey }).then((r) => [who, r.status] as const);
      }),
    );
    for (const [i, [who, seen]] of results.entries()) {
      if (i % 4 < 2) expect(seen).toBe(`${who === a ? 'a' : 'b'}-${dialect}@example.com`);
      else expect(seen).toBe(who === a ? 200 : 404);
    }
  });

  it('the key is accepted raw and as `Bearer <key>` (any case, extra spaces); a near miss is not', async () => {
    const raw = await t.request('GET', '/v1/user', { key: a.apiKey });
    expect(raw.status).toBe(200);
    for (const form of [`Bearer ${a.apiKey}`, `bearer ${a.apiKey}`, `BEARER   ${a.apiKey}`, `  ${a.apiKey}  `]) {
      const res = await t.request('GET', '/v1/user', { key: form });
      expect(res.status, form).toBe(200);
      expect(res.json).toEqual(raw.json);
    }
    const before = await t.snapshot();
    for (const near of [a.apiKey.slice(0, -1), a.apiKey.toUpperCase(), `${a.apiKey}x`, `Basic ${a.apiKey}`, `Bearer${a.apiKey}`, `Bearer Bearer ${a.apiKey}`]) {
      expectErrorEnvelope(await t.request('GET', '/v1/user', { key: near }), 404, 'API_KEY_NOT_FOUND', near);
      expectErrorEnvelope(await t.order(near, ORDER), 404, 'API_KEY_NOT_FOUND', near);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('rotating a key invalidates the old one at once; the new one works', async () => {
    const r = await t.reseller({ balance: 10_000 });
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(200);
    const fresh = await t.kios.resellers.rotateKey(r.id);
    expect(fresh).not.toBe(r.apiKey);
    const before = await t.snapshot();
    expectErrorEnvelope(await t.request('GET', '/v1/user', { key: r.apiKey }), 404, 'API_KEY_NOT_FOUND', 'old key');
    expectErrorEnvelope(await t.request('GET', '/v1/user', { key: `Bearer ${r.apiKey}` }), 404, 'API_KEY_NOT_FOUND', 'old key, Bearer');
    expectErrorEnvelope(await t.order(r.apiKey, ORDER), 404, 'API_KEY_NOT_FOUND', 'old key, order');
    expect(await t.snapshot()).toEqual(before);
    expect((await t.request('GET', '/v1/user', { key: fresh })).status).toBe(200);
    const ok = await t.order(fresh, ORDER);
    expect(ok.status).toBe(201);
    await t.settle(ok.json.data.invoice_number);
  });
});

describe.each(DIALECTS)('IP whitelist, IPv4 server (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => t?.close());

  /** A reseller whose whitelist is exactly `entries`. */
  async function fenced(entries: string[]): Promise<Reseller> {
    const r = await t.reseller({ balance: 100_000 });
    for (const e of entries) await t.kios.resellers.whitelist(r.id, 'add', e);
    return r;
  }

  // Requests come from 127.0.0.1 (the server listens on the IPv4 loopback only).
  const allowed: Array<[string, string[]]> = [
    ['an empty whitelist', []],
    ['the single IPv4 address', ['127.0.0.1']],
    ['an IPv4 CIDR containing it', ['127.0.0.0/8']],
    ['a /32 of it', ['127.0.0.1/32']],
    ['it among others', ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '127.0.0.1']],
    ['its IPv4-mapped IPv6 form', ['::ffff:127.0.0.1']],
    ['an IPv4-mapped IPv6 CIDR containing it', ['::ffff:127.0.0.0/104']],
  ];
  const refused: Array<[string, string[]]> = [
    ['another IPv4 address', ['127.0.0.2']],
    ['an IPv4 CIDR not containing it', ['10.0.0.0/8']],
    ['a neighbouring CIDR', ['127.0.0.0/32', '126.0.0.0/8']],
    ['IPv6 loopback only', ['::1']],
    ['an IPv6 range only', ['2001:db8::/32']],
    ['the IPv4-mapped form of another address', ['::ffff:10.0.0.1']],
  ];

  it.each(allowed)('allows 127.0.0.1 with %s', async (_name, entries) => {
    const r = await fenced(entries);
    const res = await t.request('GET', '/v1/user', { key: r.apiKey });
    expect(res.status, res.text).toBe(200);
  });

  it.each(refused)('refuses 127.0.0.1 with %s (403 IP_NOT_WHITELISTED, nothing changed)', async (_name, entries) => {
    const r = await fenced(entries);
    const before = await t.snapshot();
    expectErrorEnvelope(await t.request('GET', '/v1/user', { key: r.apiKey }), 403, 'IP_NOT_WHITELISTED', entries.join(','));
    expectErrorEnvelope(await t.order(r.apiKey, { ...ORDER, trx_id: 'fenced' }), 403, 'IP_NOT_WHITELISTED', entries.join(','));
    expectErrorEnvelope(await t.order(r.apiKey, { ...ORDER, trx_id: 'fenced' }, 'v2'), 403, 'IP_NOT_WHITELISTED', entries.join(','));
    expect(await t.snapshot()).toEqual(before);
    // The key itself is right: whitelisting the caller lets the same order through.
    await t.kios.resellers.whitelist(r.id, 'add', '127.0.0.1');
    const ok = await t.order(r.apiKey, { ...ORDER, trx_id: 'fenced' });
    expect(ok.status, ok.text).toBe(201);
    await t.settle(ok.json.data.invoice_number);
  });

  it('an unknown key is API_KEY_NOT_FOUND before any whitelist is looked at', async () => {
    expectErrorEnvelope(await t.request('GET', '/v1/user', { key: 'kios_unknown' }), 404, 'API_KEY_NOT_FOUND');
  });

  it('removing the last entry opens the whitelist again', async () => {
    const r = await fenced(['10.0.0.1']);
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(403);
    await t.kios.resellers.whitelist(r.id, 'remove', '10.0.0.1');
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(200);
  });
});

describe.runIf(IPV6).each(DIALECTS)('IP whitelist, dual-stack server on :: (%s)', (dialect) => {
  let t: TestKios;
  let port: number;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { HOST: '::' });
    port = (t.running.http!.server.address() as AddressInfo).port;
  });
  afterAll(async () => t?.close());

  /** GET /v1/user from the IPv6 loopback (`::1`) or the IPv4 one (seen by a dual-stack socket as `::ffff:127.0.0.1`). */
  async function userFrom(from: 'v6' | 'v4', key: string): Promise<HttpResult<any>> {
    const host = from === 'v6' ? '[::1]' : '127.0.0.1';
    const res = await fetch(`http://${host}:${port}/v1/user`, { headers: { authorization: key } });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  // `::/0` is every IPv6 address; whether it also admits IPv4 clients RULINGS does not say, so
  // only its IPv6 side is checked.
  const cases: Array<[string, string[], { v6: boolean; v4?: boolean }]> = [
    ['::1', ['::1'], { v6: true, v4: false }],
    ['::1/128', ['::1/128'], { v6: true, v4: false }],
    ['::/0', ['::/0'], { v6: true }],
    ['127.0.0.1 (matches the IPv4-mapped client)', ['127.0.0.1'], { v6: false, v4: true }],
    ['127.0.0.0/8 (matches the IPv4-mapped client)', ['127.0.0.0/8'], { v6: false, v4: true }],
    ['::ffff:127.0.0.1', ['::ffff:127.0.0.1'], { v6: false, v4: true }],
    ['::1 and 127.0.0.1', ['::1', '127.0.0.1'], { v6: true, v4: true }],
    ['2001:db8::/32', ['2001:db8::/32'], { v6: false, v4: false }],
    ['::2', ['::2'], { v6: false, v4: false }],
  ];

  it.each(cases)('whitelist %s', async (_name, entries, expected) => {
    const r = await t.reseller({ balance: 10_000 });
    for (const e of entries) await t.kios.resellers.whitelist(r.id, 'add', e);
    for (const from of ['v6', 'v4'] as const) {
      if (expected[from] === undefined) continue;
      const res = await userFrom(from, r.apiKey);
      if (expected[from]) expect(res.status, `${from}: ${res.text}`).toBe(200);
      else expectErrorEnvelope(res, 403, 'IP_NOT_WHITELISTED', `${entries} from ${from}`);
    }
  });

  it('an order from ::1 outside the whitelist changes nothing; inside it is placed', async () => {
    const r = await t.reseller({ balance: 10_000 });
    await t.kios.resellers.whitelist(r.id, 'add', '127.0.0.1');
    const before = await t.snapshot();
    const send = () => fetch(`http://[::1]:${port}/v1/order`, { method: 'POST', headers: { authorization: r.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(ORDER) });
    const refused = await send();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ statusCode: 403, message: 'IP_NOT_WHITELISTED', error: 'Forbidden' });
    expect(await t.snapshot()).toEqual(before);
    await t.kios.resellers.whitelist(r.id, 'add', '::1');
    const placed = await send();
    expect(placed.status).toBe(201);
    await t.settle(((await placed.json()) as any).data.invoice_number);
  });
});
