import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicOnlyLookup } from '../../src/callbacks/safe-dispatcher.js';
import { systemResolve, type Resolve } from '../../src/callbacks/url-policy.js';
import { isPublicAddress } from '../../src/security/ip-whitelist.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { attemptsOf, settledCallbackJob } from '../helpers/pipeline.js';
import { privateNameFromHosts } from '../helpers/hosts.js';

/**
 * SSRF guard of callback URLs (RULINGS section 1, "Callbacks (JSON)"): with private targets not
 * allowed, a callback_url that is or resolves to a non-public address is refused at order time
 * (INVALID_CALLBACK_URL, nothing charged) and again at connect time (DNS rebinding).
 *
 * DNS is injected through the `resolve` / `connectLookup` options: names under `.test` resolve
 * as the tables below say; any other name goes to the system resolver (order time) or fails to
 * resolve (connect time, so no test ever reaches the internet).
 */

const ORDER_TIME_DNS: Record<string, string[]> = {
  'internal.test': ['10.1.2.3'],
  'mixed.test': ['93.184.216.34', '192.168.0.10'],
  'v6private.test': ['fd00::5'],
  'metadata.test': ['169.254.169.254'],
  'public.test': ['93.184.216.34'],
  'rebind.test': ['93.184.216.34'],
};
const CONNECT_TIME_DNS: Record<string, LookupAddress[]> = {
  'rebind.test': [{ address: '127.0.0.1', family: 4 }],
};

const notFound = (host: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });

const orderTimeResolve: Resolve = async (host) => {
  if (host.endsWith('.invalid')) throw notFound(host);
  return ORDER_TIME_DNS[host] ?? systemResolve(host);
};
const connectLookup = publicOnlyLookup((host, cb) => {
  const found = CONNECT_TIME_DNS[host];
  setImmediate(() => (found ? cb(null, found) : cb(notFound(host), [])));
});

const HOSTS_NAME = privateNameFromHosts();

const PRIVATE_TARGETS = [
  'http://127.0.0.1/cb',
  'http://127.1.2.3:8080/cb',
  'http://10.0.0.1/cb',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::1]/cb',
  'http://[::ffff:127.0.0.1]/cb',
  'http://0.0.0.0/cb',
  'http://0/cb',
  'http://192.168.1.1/cb',
  'http://172.16.5.4/cb',
  'http://100.64.0.1/cb',
  'http://[fd00::1]/cb',
  'http://[fe80::1]/cb',
  'http://2130706433/cb', // 127.0.0.1 as one number
  'http://0x7f.1/cb', // 127.0.0.1 in hex shorthand
  'https://localhost/cb',
  'http://LocalHost.:3000/cb',
  'http://api.localhost/cb',
  'http://internal.test/cb',
  'http://mixed.test/cb', // one private answer among public ones is enough
  'http://v6private.test/cb',
  'http://metadata.test/latest/meta-data/',
];

describe.each(DIALECTS)('callback SSRF guard (%s)', (dialect) => {
  let closed: TestKios;
  let open: TestKios;
  let sink: CallbackSink;

  beforeAll(async () => {
    closed = await TestKios.start(dialect, { CALLBACK_ALLOW_PRIVATE: 'false', CALLBACK_TIMEOUT_MS: '500' }, { resolve: orderTimeResolve, connectLookup });
    open = await TestKios.start(dialect, { CALLBACK_ALLOW_PRIVATE: 'true', CALLBACK_TIMEOUT_MS: '300' });
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await closed?.close();
    await open?.close();
    await sink?.close();
  });

  const order = (t: TestKios, key: string, callbackUrl: string, extra: Record<string, unknown> = {}) =>
    t.order(key, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', callback_url: callbackUrl, ...extra });

  async function expectRefused(t: TestKios, key: string, url: string) {
    const before = await t.snapshot();
    const res = await order(t, key, url);
    expect({ url, status: res.status, message: res.json?.message }).toEqual({ url, status: 400, message: 'INVALID_CALLBACK_URL' });
    expect(res.json).toMatchObject({ statusCode: 400, message: 'INVALID_CALLBACK_URL', error: 'Bad Request' });
    expect(await t.snapshot()).toEqual(before);
  }

  it('refuses loopback, private, link-local, CGNAT and unspecified targets at order time; nothing is charged', async () => {
    const r = await closed.reseller({ balance: 100_000 });
    for (const url of PRIVATE_TARGETS) await expectRefused(closed, r.apiKey, url);
    expect(await closed.balance(r.id)).toBe(100_000);
    await closed.expectLedgerConsistent();
  });

  it('refuses malformed callback URLs whatever the setting', async () => {
    for (const t of [closed, open]) {
      const r = await t.reseller({ balance: 100_000 });
      for (const url of ['ftp://example.com/cb', 'file:///etc/passwd', 'javascript:alert(1)', '/relative/cb', 'not a url', `https://example.com/${'a'.repeat(2048)}`]) {
        await expectRefused(t, r.apiKey, url);
      }
      await t.expectLedgerConsistent();
    }
  });

  it.runIf(HOSTS_NAME !== null)('refuses a name that the real system resolver maps to a private address (/etc/hosts)', async () => {
    const addresses = await systemResolve(HOSTS_NAME!);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.some((a) => !isPublicAddress(a))).toBe(true);
    const r = await closed.reseller({ balance: 100_000 });
    await expectRefused(closed, r.apiKey, `http://${HOSTS_NAME}/cb`);
    await expectRefused(closed, r.apiKey, `http://${HOSTS_NAME}:${new URL(sink.url).port}/cb`);
    expect(await closed.balance(r.id)).toBe(100_000);
    await closed.expectLedgerConsistent();
  });

  it('accepts a public target, and a host that does not resolve at order time', async () => {
    const r = await closed.reseller({ balance: 100_000 });
    const pub = await order(closed, r.apiKey, 'https://public.test/kios/cb');
    expect(pub.status, pub.text).toBe(201);
    const unresolved = await order(closed, r.apiKey, 'http://nowhere.invalid/cb');
    expect(unresolved.status, unresolved.text).toBe(201);
    const o = await closed.settle(unresolved.json.data.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(o.callback_url).toBe('http://nowhere.invalid/cb');
    expect(await closed.balance(r.id)).toBe(100_000 - 2 * 1511);

    // Delivery keeps failing to resolve: failed attempts on the schedule, never a refusal, and
    // the order and money stay as they are.
    const job = await settledCallbackJob(closed.kios.db.kysely, o.id);
    expect(job.status).toBe('dead');
    const attempts = await attemptsOf(closed.kios.db.kysely, job.id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.outcome === 'failed' && a.response_code === null)).toBe(true);
    expect((await closed.orderRow(o.invoice_number)).status).toBe('SUCCESS');
    await closed.settle(pub.json.data.invoice_number);
    await closed.expectLedgerConsistent();
  });

  it('refuses at connect time a name that resolved publicly at order time but privately now (DNS rebinding)', async () => {
    const r = await closed.reseller({ balance: 100_000 });
    const port = new URL(sink.url).port;
    const before = sink.received.length;
    const res = await order(closed, r.apiKey, `http://rebind.test:${port}/rebound`);
    expect(res.status, res.text).toBe(201);
    const o = await closed.settle(res.json.data.invoice_number);
    expect(o.status).toBe('SUCCESS');

    const job = await settledCallbackJob(closed.kios.db.kysely, o.id);
    expect(job.status).toBe('dead');
    const attempts = await attemptsOf(closed.kios.db.kysely, job.id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.outcome === 'refused' && a.response_code === null)).toBe(true);
    // 127.0.0.1:<port> is the sink: had the connection been made, it would have recorded it.
    expect(sink.received.slice(before).filter((x) => x.url === '/rebound')).toEqual([]);
    await closed.expectLedgerConsistent();
  });

  it('refuses at delivery an IP-literal webhook stored before private targets were disallowed', async () => {
    const r = await closed.reseller({ balance: 100_000 });
    await closed.kios.db.kysely.updateTable('resellers').set({ webhook_url: `${sink.url}/stored` }).where('id', '=', r.id).execute();
    const res = await closed.order(r.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' });
    expect(res.status).toBe(201);
    const o = await closed.settle(res.json.data.invoice_number);
    const job = await settledCallbackJob(closed.kios.db.kysely, o.id);
    expect(job.status).toBe('dead');
    const attempts = await attemptsOf(closed.kios.db.kysely, job.id);
    expect(attempts.every((a) => a.outcome === 'refused')).toBe(true);
    expect(sink.received.filter((x) => x.url === '/stored')).toEqual([]);
    await closed.expectLedgerConsistent();
  });

  it('with CALLBACK_ALLOW_PRIVATE=true the same targets are accepted (tests, LAN installs)', async () => {
    const r = await open.reseller({ balance: 1_000_000 });
    // Names are not even resolved when private targets are allowed.
    const urls = [...PRIVATE_TARGETS, ...(HOSTS_NAME ? [`http://${HOSTS_NAME}/cb`] : [])];
    for (const url of urls) {
      const res = await order(open, r.apiKey, url);
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
      expect(res.json.data.amount).toBe(1511);
    }
    expect(await open.balance(r.id)).toBe(1_000_000 - urls.length * 1511);

    // And a loopback receiver really gets its callback.
    const res = await order(open, r.apiKey, `${sink.url}/allowed`);
    expect(res.status).toBe(201);
    await open.settle(res.json.data.invoice_number);
    await expect.poll(() => sink.received.filter((x) => x.url === '/allowed').length, { timeout: 10_000 }).toBe(1);
    await open.expectLedgerConsistent();
  });
});
