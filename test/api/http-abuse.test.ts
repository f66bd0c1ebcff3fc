import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DIALECTS } from '../helpers/databases.js';
import { expectErrorEnvelope } from '../helpers/json-api.js';
import { TestKios, type HttpResult, type Reseller } from '../helpers/kios.js';

/**
 * The HTTP layer under abuse (issue 8): a body over BODY_LIMIT is refused with the documented
 * answer, and the client reads that answer instead of a socket error, however the body is sent;
 * a refused body is never read without end; a client too slow to send its request is cut off
 * (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS) with the envelope, and nothing it sent counts.
 */

const ORDER = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' };
const REQUESTS = 100;
const AT_ONCE = 10;
const SIZE = 3 * 1024 * 1024;
const CHUNK = 64 * 1024;
const OVERSIZED = Buffer.from(JSON.stringify({ ...ORDER, user_id: '1'.repeat(SIZE) }));

/**
 * A ~3 MB order, one 64 KiB chunk per turn of the event loop. Over loopback a 3 MB string lands in
 * the kernel's socket buffers at once, so the server never sees a client still sending; over a
 * real link it is still in flight when the refusal goes out, and that is what pacing reproduces.
 */
function oversizedOrder(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setImmediate(resolve));
      if (sent >= OVERSIZED.length) return controller.close();
      controller.enqueue(OVERSIZED.subarray(sent, sent + CHUNK));
      sent += CHUNK;
    },
  });
}

type Expected = { json: [status: number, code: string] } | { otomax: string };

describe.each(DIALECTS)('bodies over BODY_LIMIT, from a fetch client (%s)', (dialect) => {
  let t: TestKios;
  let r: Reseller;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    r = await t.reseller({ balance: 1_000_000 });
  });
  afterAll(async () => t?.close());

  /** What one request ended as: `answered` when the expected refusal was read, else what happened instead. */
  async function outcome(path: string, headers: Record<string, string>, expected: Expected): Promise<string> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${t.url}${path}`, { method: 'POST', headers, body: oversizedOrder(), duplex: 'half' });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return `socket error ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    try {
      if ('json' in expected) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        expectErrorEnvelope({ status: res.status, headers: res.headers, text, json }, ...expected.json);
      } else {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(text).toBe(expected.otomax);
      }
      return 'answered';
    } catch {
      return `wrong answer ${res.status} ${text.slice(0, 80)}`;
    }
  }

  const declared = { 'content-length': String(OVERSIZED.length) };
  const json = { 'content-type': 'application/json' };
  const cases: Array<[string, () => string, () => Record<string, string>, Expected]> = [
    ['POST /v2/order with Content-Length', () => '/v2/order', () => ({ authorization: r.apiKey, ...json, ...declared }), { json: [413, 'PAYLOAD_TOO_LARGE'] }],
    ['POST /v2/order chunked (no length)', () => '/v2/order', () => ({ authorization: r.apiKey, ...json }), { json: [413, 'PAYLOAD_TOO_LARGE'] }],
    ['POST /v2/order without a key (refused before the body is read)', () => '/v2/order', () => ({ ...json, ...declared }), { json: [404, 'API_KEY_NOT_FOUND'] }],
    ['POST to an unknown route', () => '/v2/nothing-here', () => ({ authorization: r.apiKey, ...json, ...declared }), { json: [413, 'PAYLOAD_TOO_LARGE'] }],
    // The Otomax channel answers every refusal as one text line, HTTP 200.
    ['POST to the Otomax order path with Content-Length', () => `/v3/otomax/order?apikey=${encodeURIComponent(r.apiKey)}&product_code=S1_1187&user_id=123456789&trx_id=big-1`, () => ({ ...json, ...declared }), { otomax: 'PAYLOAD_TOO_LARGE' }],
    ['POST to the Otomax order path chunked', () => `/v1/otomax/order?apikey=${encodeURIComponent(r.apiKey)}&product_code=S1_1187&user_id=123456789&server_id=1234&trx_id=big-2`, () => json, { otomax: 'PAYLOAD_TOO_LARGE' }],
  ];

  it.each(cases)(`%s: ${REQUESTS} of ${REQUESTS} ~3 MB requests read the refusal, none a socket error`, async (_name, path, headers, expected) => {
    const before = await t.snapshot();
    const outcomes: string[] = [];
    for (let i = 0; i < REQUESTS; i += AT_ONCE) {
      outcomes.push(...(await Promise.all(Array.from({ length: AT_ONCE }, () => outcome(path(), headers(), expected)))));
    }
    const tally: Record<string, number> = {};
    for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
    expect(tally).toEqual({ answered: REQUESTS });
    expect(await t.snapshot()).toEqual(before);
    // And the server is still serving.
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(200);
  });
});

/** A raw connection, to send exactly what a slow or endless client sends. `closed` resolves with everything received once the server has closed it. */
async function connection(t: TestKios): Promise<{ socket: Socket; closed: Promise<string> }> {
  const u = new URL(t.url);
  const socket = connect(Number(u.port), u.hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (b: Buffer) => (received += b.toString('latin1')));
  // A write after the server has cut the connection fails (EPIPE): the close that follows is the point.
  socket.on('error', () => {});
  // Not events.once: it would reject on that error instead of waiting for the close.
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, closed };
}

/** Writes `data` one byte at a time, `everyMs` apart, until it is all sent or the connection is gone; resolves with the bytes sent. */
function trickle(socket: Socket, data: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || !socket.writable || sent === data.length) {
        clearInterval(timer);
        return resolve(sent);
      }
      socket.write(data[sent]!);
      sent++;
    }, everyMs);
  });
}

/** The first response in `raw` (what a raw connection received) as an HttpResult. */
function firstResponse(raw: string): HttpResult {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const headers = new Headers();
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const length = Number(headers.get('content-length'));
  const text = Buffer.from(raw.slice(split + 4), 'latin1').subarray(0, length).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(head.slice(9, 12)), headers, text, json };
}

describe.each(DIALECTS)('a refused body is never read without end (%s)', (dialect) => {
  let t: TestKios;
  let r: Reseller;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    r = await t.reseller({ balance: 1_000_000 });
  });
  afterAll(async () => t?.close());

  it('an endless chunked body gets its 413 at once, is read and dropped up to 16 MiB, then the connection is cut', async () => {
    const cap = Math.max(16 * t.kios.config.bodyLimit, 16 * 1024 * 1024);
    const { socket, closed } = await connection(t);
    socket.write(`POST /v2/order HTTP/1.1\r\nHost: kios\r\nAuthorization: ${r.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = `10000\r\n${'1'.repeat(0x10000)}\r\n`;
    let sent = 0;
    let sentWhenAnswered = -1;
    socket.once('data', () => (sentWhenAnswered = sent));
    let open = true;
    void closed.then(() => (open = false));
    while (open) {
      sent += 0x10000;
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
    }
    expectErrorEnvelope(firstResponse(await closed), 413, 'PAYLOAD_TOO_LARGE', 'endless body');
    expect(sentWhenAnswered, 'answered while the body was still coming').toBeGreaterThanOrEqual(0);
    expect(sentWhenAnswered, 'answered while the body was still coming').toBeLessThan(cap);
    // Read up to the cap, not cut at the 413; and not much past it: what is beyond is only what
    // the two kernels' socket buffers held.
    expect(sent).toBeGreaterThan(cap);
    expect(sent).toBeLessThan(cap + 64 * 1024 * 1024);
  });

  it('a body declared longer than that is not read: the 413 closes the connection', async () => {
    const { socket, closed } = await connection(t);
    socket.write(`POST /v2/order HTTP/1.1\r\nHost: kios\r\nAuthorization: ${r.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 * 1024}\r\n\r\n`);
    socket.write('1'.repeat(1024 * 1024));
    const res = firstResponse(await closed);
    expectErrorEnvelope(res, 413, 'PAYLOAD_TOO_LARGE', 'declared 1 GiB');
    expect(res.headers.get('connection')).toBe('close');
  });
});

describe.each(DIALECTS)('slow clients (%s)', (dialect) => {
  let t: TestKios;
  let r: Reseller;

  beforeAll(async () => {
    t = await TestKios.start(dialect, { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200' });
    r = await t.reseller({ balance: 1_000_000 });
  });
  afterAll(async () => t?.close());

  /**
   * What a cut connection received: the 400 envelope saying why, or nothing when the client was
   * sending as the server closed (the kernel may then reset the connection over the answer).
   */
  function expectTimedOut(raw: string, label: string, answer: 'required' | 'if any' = 'if any'): void {
    if (raw === '' && answer === 'if any') return;
    const res = firstResponse(raw);
    expectErrorEnvelope(res, 400, 'BAD_REQUEST', label);
    expect((res.json as { details?: string }).details, label).toBe('the request was not received in time');
  }

  it('an order whose body trickles in for longer than HTTP_REQUEST_TIMEOUT_MS is cut off and never placed', async () => {
    const before = await t.snapshot();
    // A valid order, padded so that at a byte per 20 ms it would take several seconds.
    const body = JSON.stringify({ ...ORDER, trx_id: 'slow-body' }).replace('{', `{${' '.repeat(200)}`);
    const { socket, closed } = await connection(t);
    socket.write(`POST /v2/order HTTP/1.1\r\nHost: kios\r\nAuthorization: ${r.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    const sent = await trickle(socket, body, 20);
    expect(sent, 'cut before the body was complete').toBeLessThan(body.length);
    expectTimedOut(await closed, 'slow body');
    expect(await t.snapshot()).toEqual(before);
  });

  it('headers trickling in for longer than HTTP_HEADERS_TIMEOUT_MS are cut off', async () => {
    const head = `GET /v1/user HTTP/1.1\r\nHost: kios\r\nAuthorization: ${r.apiKey}\r\nX-Padding: ${'x'.repeat(200)}\r\n\r\n`;
    const { socket, closed } = await connection(t);
    const sent = await trickle(socket, head, 20);
    expect(sent, 'cut before the headers were complete').toBeLessThan(head.length);
    expectTimedOut(await closed, 'slow headers');
  });

  it('a connection that never sends a request is closed', async () => {
    const { closed } = await connection(t);
    expectTimedOut(await closed, 'silent connection', 'required');
  });

  it('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { socket, closed } = await connection(t);
    socket.write(`GET /v1/user HTTP/1.1\r\nHost: kios\r\nAuthorization: ${r.apiKey}\r\n\r\n`);
    const res = firstResponse(await closed);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('connection')).toBe('keep-alive');
  });

  it('a request sent in time is served as usual', async () => {
    const res = await t.order(r.apiKey, { ...ORDER, trx_id: 'in-time' }, 'v2');
    expect(res.status, res.text).toBe(201);
    await t.settle(res.json.data.invoice_number);
  });
});

it('HTTP_HEADERS_TIMEOUT_MS longer than HTTP_REQUEST_TIMEOUT_MS is refused at start-up', () => {
  expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/);
  expect(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '10000', HTTP_REQUEST_TIMEOUT_MS: '10000' }).httpRequestTimeoutMs).toBe(10_000);
});

describe.each(DIALECTS)('stopping with a request in flight (%s)', (dialect) => {
  it('the request is answered, the answer closes its keep-alive connection, and the stop does not wait on the client', async () => {
    const t = await TestKios.start(dialect);
    try {
      const r = await t.reseller({ balance: 1_000_000 });
      const body = JSON.stringify({ ...ORDER, trx_id: 'in-flight-at-stop' });
      const { socket, closed } = await connection(t);
      // The request has arrived (its headers parsed, its body not yet) when the stop begins.
      const arrived = once(t.running.http!.server, 'request');
      socket.write(`POST /v2/order HTTP/1.1\r\nHost: kios\r\nConnection: keep-alive\r\nAuthorization: ${r.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
      await arrived;
      const stopped = t.running.stop();
      socket.write(body.slice(10));
      const res = firstResponse(await closed);
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('connection')).toBe('close');
      await stopped;
    } finally {
      await t.close();
    }
  });
});
