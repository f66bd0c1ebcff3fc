import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createOutboundDispatcher, PRIVATE_TARGET, publicOnlyLookup } from './safe-dispatcher.js';

type Resolver = Parameters<typeof publicOnlyLookup>[0];

/** A resolver from a table (asynchronous, like real DNS); unknown names fail with ENOTFOUND. */
function resolver(entries: Record<string, LookupAddress[]>): NonNullable<Resolver> {
  return (host, cb) =>
    setImmediate(() => {
      const found = entries[host];
      if (!found) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
      cb(null, found);
    });
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

function lookup(fn: ReturnType<typeof publicOnlyLookup>, host: string, all: boolean) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
    fn(host, { all }, (err, address, family) => resolve({ err, address, family })),
  );
}

describe('publicOnlyLookup', () => {
  const fn = publicOnlyLookup(
    resolver({
      'public.test': [v4('93.184.216.34')],
      'public6.test': [v6('2606:2800:220:1:248:1893:25c8:1946'), v4('93.184.216.34')],
      'loop.test': [v4('127.0.0.1')],
      'loop6.test': [v6('::1')],
      'mapped.test': [v6('::ffff:10.0.0.1')],
      'meta.test': [v4('169.254.169.254')],
      'mixed.test': [v4('93.184.216.34'), v4('192.168.0.1')],
      'empty.test': [],
    }),
  );

  it('hands public answers to the socket, in both callback forms', async () => {
    expect(await lookup(fn, 'public.test', false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await lookup(fn, 'public6.test', false)).toEqual({ err: null, address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 });
    const all = await lookup(fn, 'public6.test', true);
    expect(all.err).toBeNull();
    expect(all.address).toEqual([v6('2606:2800:220:1:248:1893:25c8:1946'), v4('93.184.216.34')]);
  });

  it.each(['loop.test', 'loop6.test', 'mapped.test', 'meta.test', 'mixed.test', 'empty.test'])('refuses %s', async (host) => {
    for (const all of [false, true]) {
      const r = await lookup(fn, host, all);
      expect(r.err?.code).toBe(PRIVATE_TARGET);
      expect(r.err?.message).toContain(host);
    }
  });

  it('passes a resolution failure through unchanged', async () => {
    const r = await lookup(fn, 'nowhere.test', true);
    expect(r.err?.code).toBe('ENOTFOUND');
  });
});

describe('createOutboundDispatcher', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('with private targets refused, never connects to a name that resolves to loopback at connect time', async () => {
    const dispatcher = createOutboundDispatcher({ allowPrivate: false, timeoutMs: 2_000, lookup: publicOnlyLookup(resolver({ 'rebind.test': [v4('127.0.0.1')] })) });
    try {
      const before = hits;
      const err = await request(`http://rebind.test:${port}/x`, { dispatcher }).then(
        () => null,
        (e: unknown) => e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException },
      );
      expect(err).not.toBeNull();
      expect(err!.code === PRIVATE_TARGET || err!.cause?.code === PRIVATE_TARGET).toBe(true);
      expect(hits).toBe(before);
    } finally {
      await dispatcher.close();
    }
  });

  it('control: the same name and lookup without the guard do reach the server', async () => {
    // So the refusal above is the guard's doing, not an unreachable address.
    const raw = resolver({ 'rebind.test': [v4('127.0.0.1')] });
    const unguarded = new Agent({
      connect: {
        lookup: ((host: string, opts: { all?: boolean }, cb: (err: Error | null, a: unknown, f?: number) => void) =>
          raw(host, (err, addrs) => (err ? cb(err, []) : opts.all ? cb(null, addrs) : cb(null, addrs[0]!.address, addrs[0]!.family)))) as never,
      },
    });
    try {
      const before = hits;
      const res = await request(`http://rebind.test:${port}/x`, { dispatcher: unguarded });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
      expect(hits).toBe(before + 1);
    } finally {
      await unguarded.close();
    }
  });

  it('with private targets allowed, connects to loopback names', async () => {
    const dispatcher = createOutboundDispatcher({ allowPrivate: true, timeoutMs: 2_000 });
    try {
      const before = hits;
      const res = await request(`http://localhost:${port}/x`, { dispatcher });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      expect(hits).toBe(before + 1);
    } finally {
      await dispatcher.close();
    }
  });
});
