import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeSupplier, post, type FakeOptions, type FakeTxn, type TxnState } from './fake-supplier.js';

/**
 * A fake APIGames v2 (RULINGS section 4), written from its published documentation and
 * independent of kios's connector. Every call's signature is checked with the endpoint's own
 * formula (an error envelope when it is wrong):
 * - `GET /merchant/{mid}?signature=md5(mid:secret)`: account info with `saldo`;
 * - `GET /merchant/{mid}/cek-username/{game}?user_id=&signature=md5(mid+secret)`: a nickname, or
 *   "Data Not Found" for user ids starting with 0;
 * - `POST /v2/transaksi` `{ref_id, merchant_id, produk, tujuan, server_id, signature=md5(mid:secret:ref_id)}`:
 *   answers Pending, as APIGames always does first; a repeated `ref_id` books nothing;
 * - `GET|POST /v2/transaksi/status` (`signature=md5(mid:secret:ref_id)`): the transaction, or
 *   "Transaksi tidak ditemukan" for a reference it never booked (APIGames publishes no example
 *   of that answer: this is the shape of its other "not found" errors);
 * - webhooks: the bare transaction POSTed with `X-Apigames-Authorization: md5(mid:secret:ref_id)`
 *   to the fake's `callbackUrl` (APIGames has no per-purchase callback URL).
 *
 * Outcomes by destination (`tujuan`) as in fake-supplier.ts, plus: `...777` is "Sukses Sebagian"
 * and `...666` is "Validasi Provider" until a test moves it (`setStatus`). `...999` is refused
 * before anything is created; `...404` is created and fails ("Gagal"), as APIGames documents no
 * refusal of a destination. `calls` counts requests per endpoint, so a test can prove that a
 * status check never re-sends an order.
 */

export interface ApigamesFakeOptions extends FakeOptions {
  merchantId?: string;
  secretKey?: string;
  /** Product codes sold; any code when omitted. */
  products?: string[];
}

export type ApigamesWord = 'Pending' | 'Proses' | 'Sukses' | 'Gagal' | 'Sukses Sebagian' | 'Validasi Provider';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const GAMES = new Set(['mobilelegend', 'freefire', 'higgs']);

type Answer = { status: number; json: unknown };

export class ApigamesFake extends FakeSupplier {
  readonly merchantId: string;
  readonly secretKey: string;
  /** Requests received per endpoint (signature failures included). */
  readonly calls = { order: 0, status: 0, account: 0, username: 0 };
  /** Order requests received per `ref_id`, the first included (a value above 1 is a repeat, never a second booking). */
  readonly orderRequests = new Map<string, number>();
  /** Status words that the three-state book cannot say (Proses, Sukses Sebagian, Validasi Provider), by reference. */
  readonly #words = new Map<string, { word: ApigamesWord; state: TxnState }>();

  constructor(readonly options: ApigamesFakeOptions = {}) {
    super(options);
    this.merchantId = options.merchantId ?? 'M240101FAKE0001AG';
    this.secretKey = options.secretKey ?? 'apigames-fake-secret-key-0123456789abcdef';
  }

  static async start(options: ApigamesFakeOptions = {}): Promise<ApigamesFake> {
    return new ApigamesFake(options).listen();
  }

  /** The kios configuration that points at this fake. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { base_url: this.url, merchant_id: this.merchantId, secret_key: this.secretKey, ...extra };
  }

  /** The status word APIGames would report for `txn` now. */
  wordOf(txn: FakeTxn, state: TxnState = txn.state): ApigamesWord {
    // An override holds only while the book stays in the state it was set for (a settle ends a "Proses").
    const w = this.#words.get(txn.ref);
    if (w && w.state === state && state === txn.state) return w.word;
    return state === 'success' ? 'Sukses' : state === 'failed' ? 'Gagal' : 'Pending';
  }

  /** Moves a booked transaction to any status word and reports it by webhook, as APIGames does on every change. */
  setStatus(ref: string, word: ApigamesWord): void {
    const txn = this.txns.get(ref);
    if (!txn) throw new Error(`no transaction ${ref}`);
    const state: TxnState = word === 'Sukses' || word === 'Sukses Sebagian' ? 'success' : word === 'Gagal' ? 'failed' : 'pending';
    if (state === 'failed' && txn.state !== 'failed') this.balance += txn.price;
    if (state !== 'failed' && txn.state === 'failed') this.balance -= txn.price;
    txn.state = state;
    if (state === 'failed') txn.sn = 'error_require_login';
    if (word === 'Sukses' || word === 'Gagal' || word === 'Pending') this.#words.delete(ref);
    else this.#words.set(ref, { word, state });
    this.notify(txn);
  }

  protected async handle(req: IncomingMessage, path: string, body: unknown): Promise<Answer> {
    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    const username = /^\/merchant\/([^/]+)\/cek-username\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && username) return this.#username(decodeURIComponent(username[1]!), decodeURIComponent(username[2]!), query);
    const account = /^\/merchant\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && account) return this.#account(decodeURIComponent(account[1]!), query);
    if (path === '/v2/transaksi/status' && (req.method === 'GET' || req.method === 'POST')) {
      const p = req.method === 'GET' ? Object.fromEntries(query) : asRecord(body);
      return this.#status(p);
    }
    if (req.method === 'POST' && path === '/v2/transaksi') return this.#order(asRecord(body));
    return { status: 404, json: { status: 0, rc: 404, error_msg: 'Not Found' } };
  }

  #account(mid: string, query: URLSearchParams): Answer {
    this.calls.account += 1;
    if (mid !== this.merchantId) return error('Merchant not found', 500);
    if (query.get('signature') !== md5(`${this.merchantId}:${this.secretKey}`)) return error('Signature Not Valid', 500);
    const data = { id: 1, merchant_id: this.merchantId, email: 'buyer@example.com', hp: '0800000000', nama: 'kios fake', saldo: this.balance };
    return { status: 200, json: { status: 1, rc: 200, message: 'Sukses', data, ts: seconds() } };
  }

  #username(mid: string, game: string, query: URLSearchParams): Answer {
    this.calls.username += 1;
    if (mid !== this.merchantId) return error('Merchant not found', 500);
    if (query.get('signature') !== md5(`${this.merchantId}${this.secretKey}`)) return error('Signature Not Valid', 500);
    if (!GAMES.has(game)) return error(`Game ${game} belum tersedia`, 50);
    const user = query.get('user_id') ?? '';
    if (!/^\d{3,30}$/.test(user) || user.startsWith('0')) return { status: 200, json: { status: 1, rc: 0, message: 'Data Not Found', data: { is_valid: false, username: '' }, ts: seconds() } };
    return { status: 200, json: { status: 1, rc: 0, message: 'Data Found', data: { is_valid: true, username: `Fake-${user.slice(-4)}` }, ts: seconds() } };
  }

  #status(p: Record<string, unknown>): Answer {
    this.calls.status += 1;
    const { merchant_id: mid, ref_id: ref, signature } = p;
    if (typeof mid !== 'string' || typeof ref !== 'string' || typeof signature !== 'string') return error('Data tidak lengkap');
    if (mid !== this.merchantId) return error('Merchant not found');
    if (signature !== md5(`${this.merchantId}:${this.secretKey}:${ref}`)) return error('Signature not valid');
    const txn = this.txns.get(ref);
    if (!txn) return error('Transaksi tidak ditemukan');
    return { status: 200, json: { data: this.view(txn), status: 1 } };
  }

  #order(b: Record<string, unknown>): Answer {
    this.calls.order += 1;
    const { ref_id: ref, merchant_id: mid, produk, tujuan, server_id: server, signature } = b;
    if (typeof ref !== 'string' || !ref || typeof mid !== 'string' || typeof produk !== 'string' || !produk || typeof tujuan !== 'string' || !tujuan || typeof signature !== 'string') {
      return error('Data tidak lengkap');
    }
    if (server !== undefined && typeof server !== 'string') return error('Data tidak lengkap');
    if (mid !== this.merchantId) return error('Merchant not found');
    if (signature !== md5(`${this.merchantId}:${this.secretKey}:${ref}`)) return error('Signature not valid');
    this.orderRequests.set(ref, (this.orderRequests.get(ref) ?? 0) + 1);

    const existing = this.txns.get(ref);
    if (existing) {
      // Never booked twice. What APIGames answers here is not published; a refusal is the safe guess.
      existing.requests += 1;
      return error('Ref ID sudah digunakan');
    }
    const earlier = this.refused.get(ref);
    if (earlier) return earlier;
    const refuse = (message: string) => {
      const answer = error(message);
      this.refused.set(ref, answer);
      return answer;
    };
    if (this.options.products && !this.options.products.includes(produk)) return refuse('Produk tidak ditemukan');
    const plan = this.plan(tujuan, ref);
    if (plan === 'refuse' || this.refusedByFaults()) return refuse('Produk sedang gangguan');
    const price = this.opts.price ?? 18_000;
    if (this.balance < price) return refuse('Saldo tidak mencukupi');
    const sn = `SN${createHash('sha1').update(ref).digest('hex').slice(0, 16).toUpperCase()}`;
    const booked = { ref, sku: produk, destination: tujuan, supplierRef: this.nextSupplierRef('T'), sn, price, callbackUrl: null };
    let txn: FakeTxn;
    if (plan === 'invalid') {
      // Created, then failed by the provider: APIGames reports it "Gagal".
      txn = this.create({ ...booked, sn: 'Invalid user id' }, 'slow-failed');
      this.settle(txn);
    } else if (tujuan.endsWith('666')) {
      txn = this.create(booked, 'success');
      txn.state = 'pending';
      this.#words.set(ref, { word: 'Validasi Provider', state: 'pending' });
    } else {
      txn = this.create(booked, plan);
      if (tujuan.endsWith('777')) this.#words.set(ref, { word: 'Sukses Sebagian', state: 'success' });
    }
    // "Flow transaksi: pada awal transaksi respon diberikan PENDING", whatever happens next.
    return { status: 200, json: { data: this.view(txn, 'pending'), status: 1 } };
  }

  /** The transaction as APIGames shows it (status answer, webhook body). */
  view(t: FakeTxn, state: TxnState = t.state): Record<string, unknown> {
    const word = this.wordOf(t, state);
    const sn = word === 'Pending' ? '' : word === 'Gagal' ? (t.sn ?? 'Gagal') : (t.sn ?? '');
    const report = word === 'Sukses' ? `SN/Ref: ${sn}` : sn;
    return {
      merchant_id: this.merchantId,
      trx_id: t.supplierRef,
      ref_id: t.ref,
      destination: t.destination,
      product_code: t.sku,
      product_code_master: t.sku,
      message: `R#${t.ref} ${t.sku}.${t.destination}, status ${word.toUpperCase()}. ${report}. Sisa saldo ${this.balance}`,
      status: word,
      sn,
      last_balance: String(this.balance),
      product_detail: { name: `Fake ${t.sku}`, code: t.sku, price: t.price, price_unit: 'rupiah', rate: 1, price_rp: t.price },
    };
  }

  /** The body and header of a webhook about `ref` (for tests that tamper with one). */
  webhook(ref: string, word?: ApigamesWord): { body: string; authorization: string } {
    const txn = this.txns.get(ref) ?? { ref, sku: 'ML86', destination: '700000000', supplierRef: 'T-MADEUP', state: 'success' as const, finalState: 'success' as const, sn: 'SN', price: 1, createdAt: 0, callbackUrl: null, requests: 0 };
    const view = this.view(txn);
    if (word) {
      view.status = word;
      view.message = String(view.message).replace(/status [A-Z ]+\./, `status ${word.toUpperCase()}.`);
    }
    return { body: JSON.stringify(view), authorization: md5(`${this.merchantId}:${this.secretKey}:${ref}`) };
  }

  protected async sendCallback(txn: FakeTxn, url: string): Promise<number> {
    const known = this.txns.get(txn.ref);
    const body = JSON.stringify(known ? this.view(known, txn.state) : this.view(txn));
    return post(url, body, { 'x-apigames-authorization': md5(`${this.merchantId}:${this.secretKey}:${txn.ref}`) });
  }
}

function asRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** APIGames's error envelope: `{error_msg, status: 0}` (with `rc` on the account endpoints). */
function error(message: string, rc?: number): Answer {
  return { status: 200, json: rc === undefined ? { error_msg: message, status: 0 } : { status: 0, rc, error_msg: message } };
}

function seconds(): number {
  return Math.floor(Date.now() / 1000);
}
