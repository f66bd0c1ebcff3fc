import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';

/**
 * Limits that hold across api processes (REDIS_URL), and the unknown-key guard: an address
 * sending made-up API keys is refused before any key is looked up. CI runs Redis (.ci/run starts
 * it when it is down); each run uses its own key prefix, so runs never share counters.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe.each(DIALECTS)('unknown-key guard (%s)', (dialect) => {
  let t: TestKios;
  let r: Reseller;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { AUTH_FAILURE_LIMIT: '5', TRUST_PROXY: 'on' });
    r = await t.reseller();
  });
  afterAll(async () => t?.close());

  it('after AUTH_FAILURE_LIMIT unknown keys an address is refused unseen, even with a valid key; other addresses are not', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.request('GET', '/v1/user', { key: `made-up-${i}`, headers: from('203.0.113.7') });
      expect(res.status).toBe(404);
      expect(res.json.message).toBe('API_KEY_NOT_FOUND');
    }
    const blocked = await t.request('GET', '/v1/user', { key: 'made-up-6', headers: from('203.0.113.7') });
    expect(blocked.status).toBe(429);
    expect(blocked.json.message).toBe('TOO_MANY_REQUESTS');
    // Never looked up: the valid key from that address is refused the same way.
    const valid = await t.request('GET', '/v1/user', { key: r.apiKey, headers: from('203.0.113.7') });
    expect(valid.status).toBe(429);
    const otomax = await fetch(`${t.url}/v1/otomax/user?apikey=${encodeURIComponent(r.apiKey)}`, { headers: from('203.0.113.7') });
    expect(await otomax.text()).toBe('TOO_MANY_REQUESTS');
    const elsewhere = await t.request('GET', '/v1/user', { key: r.apiKey, headers: from('198.51.100.9') });
    expect(elsewhere.status).toBe(200);
    // Valid keys never count against an address.
    for (let i = 0; i < 10; i++) expect((await t.request('GET', '/v1/user', { key: r.apiKey, headers: from('198.51.100.10') })).status).toBe(200);
  });
});

describe.each(DIALECTS)('limits shared across api processes through Redis (%s)', (dialect) => {
  let a: TestKios;
  let b: TestKios;
  let r: Reseller;
  beforeAll(async () => {
    const env = { REDIS_URL, REDIS_PREFIX: `kios-test-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_MAX: '6', RATE_LIMIT_WINDOW_MS: '60000', AUTH_FAILURE_LIMIT: '5', TRUST_PROXY: 'on' };
    a = await TestKios.start(dialect, env);
    b = await TestKios.start(dialect, env, { existing: a.db });
    r = await a.reseller();
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  it('a reseller\'s limit holds across two processes: 6 of 8 requests pass, spread over both', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await a.request('GET', '/v1/user', { key: r.apiKey })).status);
      statuses.push((await b.request('GET', '/v1/user', { key: r.apiKey })).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });

  it('unknown keys from one address are counted across processes too', async () => {
    const ip = from('203.0.113.50');
    for (let i = 0; i < 3; i++) expect((await a.request('GET', '/v1/user', { key: `nope-a${i}`, headers: ip })).status).toBe(404);
    for (let i = 0; i < 2; i++) expect((await b.request('GET', '/v1/user', { key: `nope-b${i}`, headers: ip })).status).toBe(404);
    expect((await b.request('GET', '/v1/user', { key: 'nope-b9', headers: ip })).status).toBe(429);
    expect((await a.request('GET', '/v1/user', { key: 'nope-a9', headers: ip })).status).toBe(429);
  });
});
