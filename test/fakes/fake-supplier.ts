import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every fake supplier shares: a real HTTP server on loopback, a book of transactions keyed
 * by the buyer's reference (deduplicated, as real suppliers do), outcomes chosen by the
 * destination (as the built-in simulator does), programmable faults drawn from a seeded random
 * source, and callbacks sent (signed by the protocol) when a transaction ends, optionally
 * duplicated or followed by a stale one. The fakes count what they receive, so a test can prove
 * that no reference was bought twice.
 *
 * | destination (user id / customer number) ends with | outcome                                   |
 * |----------------------------------------------------|-------------------------------------------|
 * | `999`                                              | refused at purchase: nothing is created   |
 * | `404`                                              | refused: the destination is invalid       |
 * | `555`                                              | pending for `pendingMs`, then success     |
 * | `554`                                              | pending for `pendingMs`, then failed      |
 * | anything else                                      | success at once                           |
 */

export type TxnState = 'pending' | 'success' | 'failed';

export interface FakeTxn {
  ref: string;
  sku: string;
  destination: string;
  supplierRef: string;
  state: TxnState;
  finalState: 'success' | 'failed';
  sn: string | null;
  price: number;
  createdAt: number;
  callbackUrl: string | null;
  /** Purchase requests received under this reference (the first created it). */
  requests: number;
}

export interface Faults {
  /** Share of requests whose answer never comes (half of them processed first: the dangerous case). */
  timeout?: number;
  /** Share of requests answered 5xx (half of them processed first). */
  error5xx?: number;
  /** Share of new purchases refused explicitly (nothing created). */
  refuse?: number;
  /** Share of callbacks sent twice and/or followed by a stale "pending" one. */
  duplicateCallback?: number;
  /** How long a timed-out request is held before the connection is dropped. */
  hangMs?: number;
}

/** What a request turned out to be, decided before it is processed. */
export type Fault = 'none' | 'hang-before' | 'hang-after' | '5xx-before' | '5xx-after';

export interface FakeOptions {
  port?: number;
  /** How long `...555` / `...554` transactions stay pending. */
  pendingMs?: number;
  /** Where callbacks go when a purchase names no callback URL of its own. */
  callbackUrl?: string | null;
  faults?: Faults;
  seed?: number;
  /** Starting balance of the buyer's account. */
  balance?: number;
  /** Price of every product (the fakes' catalogs are flat). */
  price?: number;
}

/** Mulberry32: a small seeded generator, so a faulty run can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Plan = 'success' | 'refuse' | 'invalid' | 'slow-success' | 'slow-failed';

export function planFor(destination: string): Plan {
  if (destination.endsWith('999')) return 'refuse';
  if (destination.endsWith('404')) return 'invalid';
  if (destination.endsWith('555')) return 'slow-success';
  if (destination.endsWith('554')) return 'slow-failed';
  return 'success';
}

export interface RequestLog {
  at: number;
  method: string;
  path: string;
  body: string;
}

export abstract class FakeSupplier {
  readonly txns = new Map<string, FakeTxn>();
  /**
   * Purchases refused, by reference, with the answer given: a reference once refused stays
   * refused (a late or repeated request under it gets the same answer and buys nothing), as a
   * supplier that deduplicates by reference keeps its failed transactions too.
   */
  readonly refused = new Map<string, { status: number; json: unknown }>();
  /** Every request received, for rate-limit checks. */
  readonly requests: RequestLog[] = [];
  /** Callbacks sent, with the receiver's HTTP status (or the error). */
  readonly callbacksSent: { ref: string; state: TxnState; status: number | string }[] = [];
  balance: number;
  faults: Faults;
  /** Overrides the fault drawn for a request (tests script exact sequences). */
  faultFor: ((path: string, body: unknown) => Fault | undefined) | null = null;
  /** Answer nothing at all (every request hangs) while true. */
  down = false;
  /** What a new purchase does; by default chosen by its destination (table above). */
  plan: (destination: string, ref: string) => Plan = planFor;
  readonly #random: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: Server | null = null;
  #seq = 0;

  protected constructor(readonly opts: FakeOptions) {
    this.balance = opts.balance ?? 1_000_000_000;
    this.faults = opts.faults ?? {};
    this.#random = seeded(opts.seed ?? 1);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  get pendingMs(): number {
    return this.opts.pendingMs ?? 300;
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => void this.#serve(req, res));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.opts.port ?? 0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Purchases received per reference; a value above 1 is a re-send (a status check), never a second purchase. */
  purchaseRequests(): Map<string, number> {
    return new Map([...this.txns.values()].map((t) => [t.ref, t.requests]));
  }

  /** Requests about one order (its references start with the order id). */
  requestsFor(orderId: string): RequestLog[] {
    return this.requests.filter((r) => r.path.includes(orderId) || r.body.includes(orderId));
  }

  /** Transactions booked for one order. */
  txnsFor(orderId: string): FakeTxn[] {
    return [...this.txns.values()].filter((t) => t.ref.startsWith(`${orderId}-`));
  }

  delivered(): FakeTxn[] {
    return [...this.txns.values()].filter((t) => t.state === 'success');
  }

  /** Handles one request of the protocol; `body` is the parsed JSON body (undefined when none or not JSON). */
  protected abstract handle(req: IncomingMessage, path: string, body: unknown, raw: string, fault: Fault): Promise<{ status: number; json: unknown }>;

  /** Signs and sends the callback of one transaction. */
  protected abstract sendCallback(txn: FakeTxn, url: string): Promise<number | string>;

  /**
   * Sends a correctly signed callback about `ref` saying `state`, whatever the book says (a
   * duplicate, a stale or a contradicting report); a reference the fake never booked is made up.
   */
  async report(url: string, ref: string, state: TxnState): Promise<number | string> {
    const known = this.txns.get(ref);
    const txn: FakeTxn = known ?? { ref, sku: 'X', destination: '700000000', supplierRef: 'MADEUP', state, finalState: 'success', sn: 'SN-MADEUP', price: 1, createdAt: Date.now(), callbackUrl: null, requests: 0 };
    return this.sendCallback({ ...txn, state }, url);
  }

  protected random(): number {
    return this.#random();
  }

  protected nextSupplierRef(prefix: string): string {
    this.#seq += 1;
    return `${prefix}${String(this.#seq).padStart(8, '0')}`;
  }

  /** Books a new transaction and schedules its end. */
  protected create(t: Omit<FakeTxn, 'state' | 'createdAt' | 'requests' | 'finalState'>, plan: Plan): FakeTxn {
    const slow = plan === 'slow-success' || plan === 'slow-failed';
    const txn: FakeTxn = {
      ...t,
      state: slow ? 'pending' : 'success',
      finalState: plan === 'slow-failed' ? 'failed' : 'success',
      createdAt: Date.now(),
      requests: 1,
    };
    this.txns.set(txn.ref, txn);
    this.balance -= txn.price;
    if (slow) this.later(this.pendingMs, () => this.settle(txn));
    else this.later(0, () => this.notify(txn));
    return txn;
  }

  /** A pending transaction ends; the buyer is told by callback. */
  protected settle(txn: FakeTxn): void {
    if (txn.state !== 'pending') return;
    txn.state = txn.finalState;
    if (txn.state === 'failed') this.balance += txn.price;
    this.notify(txn);
  }

  protected notify(txn: FakeTxn): void {
    const url = txn.callbackUrl ?? this.opts.callbackUrl ?? null;
    if (!url) return;
    const send = async (state: TxnState) => {
      const snapshot = { ...txn, state };
      const status = await this.sendCallback(snapshot, url).catch((err: unknown) => String((err as Error).message ?? err));
      this.callbacksSent.push({ ref: txn.ref, state, status });
    };
    void (async () => {
      await send(txn.state);
      const p = this.faults.duplicateCallback ?? 0;
      if (p > 0 && this.random() < p) {
        // Half the time the same callback again, half a stale "pending" after the final one.
        if (this.random() < 0.5) await send(txn.state);
        else await send('pending');
      }
    })();
  }

  protected later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #draw(): Fault {
    const { timeout = 0, error5xx = 0 } = this.faults;
    const r = this.random();
    const half = this.random() < 0.5;
    if (r < timeout) return half ? 'hang-before' : 'hang-after';
    if (r < timeout + error5xx) return half ? '5xx-before' : '5xx-after';
    return 'none';
  }

  /** Whether a new purchase is refused by the fault plan. */
  protected refusedByFaults(): boolean {
    const p = this.faults.refuse ?? 0;
    return p > 0 && this.random() < p;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ at: Date.now(), method: req.method ?? '', path: url.pathname, body: raw });
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    if (this.down) return this.#hang(res);
    const fault = this.faultFor?.(url.pathname, body) ?? this.#draw();
    if (fault === 'hang-before') return this.#hang(res);
    if (fault === '5xx-before') return this.#send(res, 502, { message: 'Bad Gateway' });
    let answer: { status: number; json: unknown };
    try {
      answer = await this.handle(req, url.pathname, body, raw, fault);
    } catch (err) {
      answer = { status: 500, json: { message: String(err) } };
    }
    if (fault === 'hang-after') return this.#hang(res);
    if (fault === '5xx-after') return this.#send(res, 500, { statusCode: 500, message: 'SERVER_ERROR', error: 'Internal Server Error' });
    this.#send(res, answer.status, answer.json);
  }

  #send(res: ServerResponse, status: number, json: unknown): void {
    const text = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  #hang(res: ServerResponse): void {
    this.later(this.faults.hangMs ?? 30_000, () => res.destroy());
  }
}

/** Reads a whole callback answer (status code), for the fakes' callback senders. */
export async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });
  await res.text();
  return res.status;
}
