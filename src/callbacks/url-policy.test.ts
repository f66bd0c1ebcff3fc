import { afterEach, describe, expect, it, vi } from 'vitest';
import { KiosError } from '../domain/errors.js';
import { isPublicAddress } from '../security/ip-whitelist.js';
import { CallbackUrlPolicy, MAX_CALLBACK_URL_LENGTH, systemResolve, type Resolve } from './url-policy.js';
import { privateNameFromHosts } from '../../test/helpers/hosts.js';

/** A resolver from a table, counting its calls; unknown names do not resolve. */
function table(entries: Record<string, string[] | Error | 'hang'>) {
  const calls: string[] = [];
  const resolve: Resolve = (host) => {
    calls.push(host);
    const v = entries[host];
    if (v === 'hang') return new Promise<string[]>(() => {});
    if (v instanceof Error) return Promise.reject(v);
    if (!v) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(v);
  };
  return { resolve, calls };
}

async function refusal(p: Promise<unknown>): Promise<KiosError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KiosError);
  expect((err as KiosError).code).toBe('INVALID_CALLBACK_URL');
  return err as KiosError;
}

const DNS = {
  'public.example': ['93.184.216.34'],
  'public6.example': ['2606:2800:220:1:248:1893:25c8:1946'],
  'dual.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example': ['10.0.0.5'],
  'loop.example': ['127.0.0.1'],
  'meta.example': ['169.254.169.254'],
  'ula.example': ['fd12:3456::1'],
  'mapped.example': ['::ffff:192.168.0.1'],
  'mixed.example': ['93.184.216.34', '192.168.0.1'],
  'empty.example': [],
};

describe('CallbackUrlPolicy.validate: shape', () => {
  const policy = new CallbackUrlPolicy(true, table({}).resolve);

  it.each(['ftp://example.com/cb', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,hi', 'gopher://example.com/', 'ws://example.com/'])(
    'refuses the scheme of %s',
    async (url) => {
      expect((await refusal(policy.validate(url))).details).toMatch(/http or https/);
    },
  );

  it.each(['/relative/cb', 'example.com/cb', 'not a url', 'http://', 'http://exa mple.com/', 'https://[::1/'])('refuses %j as not an absolute URL', async (url) => {
    await refusal(policy.validate(url));
  });

  it(`accepts ${MAX_CALLBACK_URL_LENGTH} characters and refuses one more`, async () => {
    const base = 'https://example.com/';
    const exact = base + 'a'.repeat(MAX_CALLBACK_URL_LENGTH - base.length);
    expect(exact).toHaveLength(MAX_CALLBACK_URL_LENGTH);
    expect((await policy.validate(exact)).href).toBe(exact);
    expect((await refusal(policy.validate(`${exact}a`))).details).toMatch(/longer than 2048/);
  });

  it('returns the parsed URL (normalised host, query kept)', async () => {
    const u = await policy.validate('HTTPS://Example.COM:8443/a/b?x=1&y=2');
    expect(u.href).toBe('https://example.com:8443/a/b?x=1&y=2');
  });
});

describe('CallbackUrlPolicy.validate: private targets not allowed', () => {
  it.each([
    'http://127.0.0.1/cb',
    'http://127.0.0.1:3000/cb',
    'http://127.9.9.9/',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://0/',
    'http://2130706433/', // 127.0.0.1 as one number
    'http://0x7f000001/',
    'http://0177.0.0.1/', // octal
    'http://127.1/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a00:1]/',
    'http://[fc00::1]/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://[2002:7f00:1::1]/', // 6to4 around 127.0.0.1
    'http://[64:ff9b::a00:1]/', // NAT64 around 10.0.0.1
    'http://localhost/',
    'http://LOCALHOST:8080/',
    'http://localhost./',
    'http://api.localhost/',
    'http://internal.example/',
    'http://loop.example/',
    'http://meta.example/',
    'http://ula.example/',
    'http://mapped.example/',
    'http://mixed.example/',
  ])('refuses %s', async (url) => {
    const dns = table(DNS);
    const err = await refusal(new CallbackUrlPolicy(false, dns.resolve).validate(url));
    expect(err.details).toMatch(/private or local/);
  });

  it.each(['http://public.example/cb', 'https://public6.example/cb', 'https://dual.example/', 'http://8.8.8.8/', 'http://[2606:4700:4700::1111]/', 'http://[::ffff:8.8.8.8]/'])(
    'accepts %s',
    async (url) => {
      const dns = table(DNS);
      expect((await new CallbackUrlPolicy(false, dns.resolve).validate(url)).href).toBe(new URL(url).href);
    },
  );

  it('never asks DNS about IP literals or localhost names', async () => {
    const dns = table(DNS);
    const policy = new CallbackUrlPolicy(false, dns.resolve);
    await policy.validate('http://8.8.8.8/');
    await refusal(policy.validate('http://10.0.0.1/'));
    await refusal(policy.validate('http://[::1]/'));
    await refusal(policy.validate('http://localhost/'));
    await refusal(policy.validate('http://x.localhost/'));
    expect(dns.calls).toEqual([]);
  });

  it('a host that does not resolve (error, no answer or DNS timeout) does not fail the order', async () => {
    vi.useFakeTimers();
    try {
      const dns = table({ 'slow.example': 'hang', 'broken.example': new Error('SERVFAIL') });
      const policy = new CallbackUrlPolicy(false, dns.resolve);
      expect((await policy.validate('http://nowhere.example/cb')).hostname).toBe('nowhere.example');
      expect((await policy.validate('http://broken.example/cb')).hostname).toBe('broken.example');
      const slow = policy.validate('http://slow.example/cb');
      await vi.advanceTimersByTimeAsync(2_000);
      expect((await slow).hostname).toBe('slow.example');
      expect(await policy.verdict('slow.example')).toBe('unresolved');
      expect(await new CallbackUrlPolicy(false, table(DNS).resolve).verdict('empty.example')).toBe('unresolved');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('CallbackUrlPolicy with private targets allowed', () => {
  it('accepts private targets without resolving anything', async () => {
    const dns = table(DNS);
    const policy = new CallbackUrlPolicy(true, dns.resolve);
    for (const url of ['http://127.0.0.1:9/cb', 'http://localhost/cb', 'http://[::1]/', 'http://10.0.0.1/', 'http://internal.example/']) {
      expect((await policy.validate(url)).href).toBe(new URL(url).href);
    }
    expect(dns.calls).toEqual([]);
    // The same policy still refuses a URL that is not http(s).
    await refusal(policy.validate('ftp://127.0.0.1/'));
  });
});

describe('CallbackUrlPolicy.verdict', () => {
  it('classifies literals, names and localhost', async () => {
    const policy = new CallbackUrlPolicy(false, table(DNS).resolve);
    expect(await policy.verdict('8.8.8.8')).toBe('public');
    expect(await policy.verdict('127.0.0.1')).toBe('private');
    expect(await policy.verdict('[::1]')).toBe('private');
    expect(await policy.verdict('[2606:4700:4700::1111]')).toBe('public');
    expect(await policy.verdict('localhost')).toBe('private');
    expect(await policy.verdict('public.example')).toBe('public');
    expect(await policy.verdict('mixed.example')).toBe('private');
    expect(await policy.verdict('nowhere.example')).toBe('unresolved');
  });

  it('caches answers for a minute per name (case and trailing dot ignored), then asks again', async () => {
    let now = 1_000_000;
    let answer = ['93.184.216.34'];
    const calls: string[] = [];
    const policy = new CallbackUrlPolicy(
      false,
      async (h) => {
        calls.push(h);
        return answer;
      },
      () => now,
    );
    expect(await policy.verdict('Rebind.Example')).toBe('public');
    answer = ['127.0.0.1'];
    expect(await policy.verdict('rebind.example.')).toBe('public');
    expect(calls).toEqual(['rebind.example']);
    now += 60_001;
    expect(await policy.verdict('rebind.example')).toBe('private');
    expect(calls).toEqual(['rebind.example', 'rebind.example']);
  });
});

const HOSTS_NAME = privateNameFromHosts();

describe('CallbackUrlPolicy with the system resolver', () => {
  afterEach(() => vi.useRealTimers());

  it.runIf(HOSTS_NAME !== null)('refuses a name that really resolves (through /etc/hosts) to a private address', async () => {
    expect((await systemResolve(HOSTS_NAME!)).some((a) => !isPublicAddress(a))).toBe(true);
    const policy = new CallbackUrlPolicy(false);
    await refusal(policy.validate(`http://${HOSTS_NAME}/cb`));
    expect(await policy.verdict(HOSTS_NAME!)).toBe('private');
  });

  it('lets a name under .invalid (never resolves, RFC 6761) through', async () => {
    const policy = new CallbackUrlPolicy(false);
    expect((await policy.validate('http://kios-test.invalid/cb')).hostname).toBe('kios-test.invalid');
    expect(await policy.verdict('kios-test.invalid')).toBe('unresolved');
  });
});
