import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../types.js';
import { SupplierHttp } from './http.js';

describe('SupplierHttp', () => {
  let server: Server;
  let base: string;
  const dispatcher = new Agent();
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url?.includes('/hang')) return; // never answers
        if (req.url?.includes('/big')) return res.end('x'.repeat(5000));
        // Echoes what it got, as a careless supplier echoing credentials would.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, body, auth: req.headers.authorization }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dispatcher.close();
  });

  function make() {
    return new SupplierHttp({ baseUrl: base, timeoutMs: 300, dispatcher, secrets: ['s3cr3t/key+1', 'abc', ''] });
  }

  it('masks every secret of the account, plain and URL-encoded, in what it records; short ones are not secrets', () => {
    expect(make().mask('a s3cr3t/key+1 b s3cr3t%2Fkey%2B1 c abc')).toBe('a *** b *** c abc');
  });

  it('records each exchange (request and answer) masked, and answers with the parsed JSON', async () => {
    const call: CallContext = { exchanges: [] };
    const a = await make().send(call, { method: 'POST', path: '/echo', query: { k: 's3cr3t/key+1' }, headers: { authorization: 's3cr3t/key+1' }, json: { key: 's3cr3t/key+1', n: 1 } });
    expect(a.kind).toBe('answered');
    if (a.kind === 'answered') {
      expect(a.status).toBe(200);
      expect((a.json as { auth: string }).auth).toBe('s3cr3t/key+1'); // sent as given
    }
    expect(call.exchanges).toHaveLength(1);
    const e = call.exchanges[0]!;
    expect(e.method).toBe('POST');
    expect(e.url).toBe(`${base.replace(/\/$/, '')}/echo?k=***`);
    expect(e.request).toBe('{"key":"***","n":1}');
    expect(e.status).toBe(200);
    expect(JSON.stringify(e)).not.toContain('s3cr3t');
  });

  it('no answer in time, a refused connection and an oversized answer are "no answer", recorded, never thrown', async () => {
    const call: CallContext = { exchanges: [] };
    const h = make();
    expect(await h.send(call, { method: 'GET', path: '/hang' })).toEqual({ kind: 'no_answer', error: 'no answer in time' });
    const down = new SupplierHttp({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 300, dispatcher, secrets: [] });
    const refused = await down.send(call, { method: 'GET', path: '/x' });
    expect(refused).toMatchObject({ kind: 'no_answer', error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await h.send(call, { method: 'GET', path: '/big', maxBytes: 1000 })).toMatchObject({ kind: 'no_answer', error: expect.stringMatching(/larger than 1000 bytes/) });
    expect(call.exchanges.map((e) => Boolean(e.error))).toEqual([true, true, true]);
  });
});
