import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { builtKios, type BuiltKios, type Provision } from '../helpers/built-kios.js';
import { DIALECTS } from '../helpers/databases.js';
import { eventsOf, freePort, publishedSignature, supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

/**
 * kios buying from kios: instance B routes orders through the `kiosgame` connector to instance A,
 * two real `kios serve` processes on loopback, each with its own database. A fulfils through its
 * simulator and reports by its signed callback, which B verifies with the API key A gave it.
 * Between them sits a proxy that can hold one of A's answers back (B's purchase then times out,
 * though A took the order).
 */

const A_PRICE = { S4_ML86: 18_624, S1_1187: 1511, FF70: 9405 } as const; // A's platinum prices: B's costs
const B_PRICE = { S4_ML86: 18_624, S1_1187: 1511, FF70: 9405 } as const; // B's platinum prices (the same demo catalog)

/** A loopback HTTP proxy to A; `hold(n)` holds the next n answers to POST /v2/order for `holdMs`. */
class Proxy {
  #held = 0;
  received = 0;
  private constructor(
    private readonly server: Server,
    readonly holdMs: number,
  ) {}

  static async start(target: string, holdMs: number): Promise<Proxy> {
    const t = new URL(target);
    let self: Proxy;
    const server = createServer((req, res) => {
      const hold = req.method === 'POST' && req.url === '/v2/order' && self.#held > 0;
      if (hold) self.#held -= 1;
      if (req.url === '/v2/order') self.received += 1;
      const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const send = () => {
            if (res.destroyed) return;
            res.writeHead(r.statusCode ?? 502, r.headers).end(Buffer.concat(chunks));
          };
          if (hold) setTimeout(send, holdMs).unref();
          else send();
        });
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    self = new Proxy(server, holdMs);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hold(n: number): void {
    this.#held += n;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(DIALECTS)('kios -> kios through the kiosgame connector (%s)', (dialect) => {
  let a: BuiltKios;
  let b: BuiltKios;
  let proxy: Proxy;
  let sink: CallbackSink;
  let keyAB: string; // the API key A gave B
  let shop: { id: string; apiKey: string }; // B's reseller
  let bAtA: string; // B's reseller id at A

  /** A kios of its own, provisioned with the demo catalog and then `provision`. */
  const instance = (env: Record<string, string>, provision: Provision) =>
    builtKios(dialect, env, async (k) => {
      await k.catalog.import(DEMO_CATALOG);
      await provision(k);
    });

  beforeAll(async () => {
    sink = await CallbackSink.start();
    // A: an ordinary kios selling from its simulator; B is one of its resellers.
    a = await instance({ SIMULATOR_PENDING_MS: '1500' }, async (k) => {
      const r = await k.resellers.create({ name: 'Instance B', email: 'b@example.com', role: 'platinum', balance: 1_000_000 });
      keyAB = r.apiKey;
      bAtA = r.reseller.id;
    });
    await a.proc.start();
    proxy = await Proxy.start(a.proc.url, 2500);
    // B: buys every ML and FF product from A. `a` gets callbacks on each order; `a-poll` none,
    // so its orders are settled by status checks alone.
    const bPort = await freePort();
    b = await instance({ PORT: String(bPort), PUBLIC_URL: `http://127.0.0.1:${bPort}`, SUPPLIER_TIMEOUT_MS: '1000', SUPPLIER_RECHECK_SCHEDULE: '2,1' }, async (k) => {
      await k.suppliers.add('kiosgame', 'a', { base_url: proxy.url, api_key: keyAB });
      await k.suppliers.add('kiosgame', 'a-poll', { base_url: proxy.url, api_key: keyAB, callback_url: false });
      for (const code of ['S4_ML86', 'S1_1187'] as const) {
        await k.routes.remove(code, 'simulator');
        await k.routes.add(code, 'a', code, { cost: A_PRICE[code] });
      }
      await k.routes.remove('FF70', 'simulator');
      await k.routes.add('FF70', 'a-poll', 'FF70', { cost: A_PRICE.FF70 });
      const r = await k.resellers.create({ name: 'Shop', email: 'shop@example.com', role: 'platinum', balance: 500_000 });
      shop = { id: r.reseller.id, apiKey: r.apiKey };
      await k.resellers.setWebhook(r.reseller.id, `${sink.url}/shop`);
    });
    await b.proc.start();
  });

  afterAll(async () => {
    for (const i of [b, a]) await i?.close();
    await proxy?.close();
    await sink?.close();
  });

  async function orderAtB(body: Record<string, unknown>) {
    const res = await fetch(`${b.proc.url}/v2/order`, { method: 'POST', headers: { authorization: shop.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as { data: { invoice_number: string } };
    expect(res.status, JSON.stringify(json)).toBe(201);
    const o = await b.reader.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', json.data.invoice_number).executeTakeFirstOrThrow();
    return o;
  }

  async function finalAtB(invoice: string, timeoutMs = 20_000) {
    return eventually(async () => {
      const o = await b.reader.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', invoice).executeTakeFirstOrThrow();
      if (o.status === 'PENDING') throw new Error(`B's order ${invoice} is PENDING\n${b.proc.output.slice(-10).join('')}`);
      return o;
    }, timeoutMs);
  }

  /** A's order for a reference B sent (`trx_id` at A), as B's reseller sees it at A. */
  async function atA(ref: string) {
    const res = await fetch(`${a.proc.url}/v1/status/trx-id/${ref}`, { headers: { authorization: keyAB } });
    return { status: res.status, json: (await res.json()) as { data: { invoice_number: string; status: string; trx_id: string } } };
  }

  const shopCallbacks = (invoice: string) => sink.received.filter((r) => r.body.includes(invoice));

  it('an order completes on both instances; A\'s signed callback settles B\'s order, and B\'s reseller gets B\'s callback', async () => {
    const o = await orderAtB({ product_code: 'S4_ML86', user_id: '123456789', server_id: '1234', trx_id: 'shop-1' });
    const done = await finalAtB(o.invoice_number);
    expect(done.status).toBe('SUCCESS');

    const [attempt] = await supplierAttemptsOf(b.reader.kysely, o.id);
    expect(attempt).toMatchObject({ n: 1, supplier_id: 'a', ref: `${o.id}-1`, state: 'success' });
    const inA = await atA(attempt!.ref);
    expect(inA.status).toBe(200);
    expect(inA.json.data).toMatchObject({ trx_id: attempt!.ref, status: 'SUCCESS' });
    // B shows A's invoice number as its RefId, and it was A's callback that decided (no status check first).
    expect(attempt!.supplier_ref).toBe(inA.json.data.invoice_number);
    expect(done.response_note).toContain(`RefId: ${inA.json.data.invoice_number}`);
    const bEvents = await eventsOf(b.reader.kysely, o.id);
    expect(bEvents.map((e) => e.type).sort()).toEqual(['created', 'status', 'supplier_callback', 'supplier_purchase']);
    expect(bEvents.find((e) => e.type === 'status')!.data).toMatchObject({ from: 'PENDING', to: 'SUCCESS', source: 'supplier callback' });

    // B's reseller is told by B, signed with its own key, about B's invoice.
    await eventually(() => expect(shopCallbacks(done.invoice_number)).toHaveLength(1));
    const cb = shopCallbacks(done.invoice_number)[0]!;
    const payload = JSON.parse(cb.body) as { status: string; balance: number };
    expect(payload.status).toBe('SUCCESS');
    expect(cb.headers['x-signature']).toBe(publishedSignature(payload, shop.apiKey));
    expect(payload.balance).toBe(500_000 - B_PRICE.S4_ML86);
  });

  it('A answering slowly (its supplier holds the order): B waits, PENDING, then SUCCESS when A calls back', async () => {
    const o = await orderAtB({ product_code: 'S1_1187', user_id: '123456555', server_id: '1234', trx_id: 'shop-2' });
    await eventually(async () => expect((await supplierAttemptsOf(b.reader.kysely, o.id))[0]?.state).toBe('sent'));
    expect((await atA(`${o.id}-1`)).json.data.status).toBe('PENDING');
    expect((await finalAtB(o.invoice_number)).status).toBe('SUCCESS');
    expect((await atA(`${o.id}-1`)).json.data.status).toBe('SUCCESS');
  });

  it('B\'s purchase times out once though A took the order: never bought twice, settled by A\'s callback', async () => {
    const before = proxy.received;
    proxy.hold(1);
    const o = await orderAtB({ product_code: 'S4_ML86', user_id: '223456789', server_id: '1234', trx_id: 'shop-3' });
    expect((await finalAtB(o.invoice_number)).status).toBe('SUCCESS');
    // A's callback settled it while B still waited for its answer; the purchase then timed out.
    const purchase = await eventually(async () => {
      const [p] = await eventsOf(b.reader.kysely, o.id, 'supplier_purchase');
      if (!p) throw new Error('the purchase has not timed out yet');
      return p;
    });
    expect(purchase.data).toMatchObject({ kind: 'pending', ambiguous: true });
    expect((await supplierAttemptsOf(b.reader.kysely, o.id)).map((x) => x.state)).toEqual(['success']);
    expect(proxy.received - before).toBe(1); // one POST /v2/order, held; nothing re-sent
    // A has exactly one order for that reference.
    const aOrders = await a.reader.kysely.selectFrom('orders').select('status').where('trx_id', '=', `${o.id}-1`).execute();
    expect(aOrders).toEqual([{ status: 'SUCCESS' }]);
  });

  it('A failing the order, or refusing the destination: B fails and refunds its reseller, once', async () => {
    const failed = await orderAtB({ product_code: 'S1_1187', user_id: '323456999', server_id: '1234', trx_id: 'shop-4' });
    const refused = await orderAtB({ product_code: 'S1_1187', user_id: '0123', server_id: '1234', trx_id: 'shop-5' });
    for (const o of [failed, refused]) {
      const done = await finalAtB(o.invoice_number);
      expect(done.status).toBe('FAILED');
      expect(done.refunded_amount).toBe(B_PRICE.S1_1187);
    }
    expect((await atA(`${failed.id}-1`)).json.data.status).toBe('FAILED');
    // A refused the destination at intake: nothing was created there.
    expect((await atA(`${refused.id}-1`)).status).toBe(404);
    expect((await supplierAttemptsOf(b.reader.kysely, refused.id))[0]!.reason).toMatch(/^INVALID_USER_ID/);
    await eventually(() => {
      for (const o of [failed, refused]) expect(shopCallbacks(o.invoice_number).map((r) => (JSON.parse(r.body) as { status: string }).status)).toEqual(['FAILED']);
    });
  });

  it('without callbacks (a-poll) B settles by status checks against A', async () => {
    const o = await orderAtB({ product_code: 'FF70', user_id: '423456789', trx_id: 'shop-6' });
    expect((await finalAtB(o.invoice_number)).status).toBe('SUCCESS');
    const types = (await eventsOf(b.reader.kysely, o.id)).map((e) => e.type);
    expect(types).not.toContain('supplier_callback');
    expect(types).toContain('supplier_status');
  });

  it('both ledgers hold, and each balance is what the orders\' final statuses say', async () => {
    // Let every callback and late job finish.
    await eventually(async () => {
      for (const i of [a, b]) {
        const pending = await i.reader.kysely.selectFrom('orders').select('id').where('status', '=', 'PENDING').execute();
        expect(pending).toHaveLength(0);
      }
    });
    expect(await verifyLedger(a.reader.kysely)).toEqual([]);
    expect(await verifyLedger(b.reader.kysely)).toEqual([]);
    const spent = async (i: BuiltKios, resellerId: string) => {
      const rows = await i.reader.kysely.selectFrom('orders').select(['amount', 'refunded_amount']).where('reseller_id', '=', resellerId).execute();
      return rows.reduce((n, r) => n + r.amount - r.refunded_amount, 0);
    };
    const balance = async (i: BuiltKios, id: string) => (await i.reader.kysely.selectFrom('resellers').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance;
    expect(await balance(b, shop.id)).toBe(500_000 - (await spent(b, shop.id)));
    expect(await balance(a, bAtA)).toBe(1_000_000 - (await spent(a, bAtA)));
    // What B paid A is what B's SUCCESS orders cost it at A.
    expect(await spent(a, bAtA)).toBe(A_PRICE.S4_ML86 * 2 + A_PRICE.S1_1187 + A_PRICE.FF70);
  });
});
