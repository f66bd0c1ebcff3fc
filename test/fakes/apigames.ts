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
 *
 * Bulk Kiosgamer redeem (RULINGS section 3), signed md5(mid + secret) like the nickname check:
 * - `POST /merchant/{mid}/kiosgamer/redem/bulk` `{kode_voucher (base64, newline-separated),
 *   session_key, signature}`: a new upstream project (`AGP...`), or an explicit refusal
 *   (`redeemBusy` scripted refusals, a missing session key);
 * - `POST /merchant/{mid}/kiosgamer/project/detail` `{projectid, status, page, limit, signature}`:
 *   the document's shape. A voucher is `process` (2) when first read, then final: code ending
 *   `USED` error_voucher (4, "Voucher sudah digunakan"), `ERR` error_engine (3) every time, `ERR1`
 *   error_engine on its first submission only, a code already redeemed by an earlier upstream
 *   project "Voucher sudah digunakan", anything else success (1) with nominal_gs 25/50/100 by its
 *   last digit (0-3, 4-6, 7-9; 25 otherwise).
 * `redeemSubmissions` counts submissions per code, `redeemed` the codes it redeemed (at most once each).
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
type FakeVoucher = { id: number; code: string; earlier: number; reads: number; status: number; nominal: number; note: string };

export class ApigamesFake extends FakeSupplier {
  readonly merchantId: string;
  readonly secretKey: string;
  /** Requests received per endpoint (signature failures included). */
  readonly calls = { order: 0, status: 0, account: 0, username: 0 };
  /** Order requests received per `ref_id`, the first included (a value above 1 is a repeat, never a second booking). */
  readonly orderRequests = new Map<string, number>();
  /** Bulk-redeem submissions received per code (refused ones excluded). */
  readonly redeemSubmissions = new Map<string, number>();
  /** Codes this fake redeemed successfully, with the project that did. */
  readonly redeemed = new Map<string, string>();
  /** Upstream redeem projects by id. */
  readonly projects = new Map<string, { id: number; projectId: string; sessionKey: string; vouchers: FakeVoucher[] }>();
  /** The next `redeemBusy` submissions are refused explicitly ("Engine sedang sibuk"): nothing is created. */
  redeemBusy = 0;
  #voucherSeq = 23_000;
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
    const redeem = /^\/merchant\/([^/]+)\/kiosgamer\/(redem\/bulk|project\/detail)$/.exec(path);
    if (req.method === 'POST' && redeem) {
      const mid = decodeURIComponent(redeem[1]!);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 200, json: { status: 0, rc: 400, error_msg: 'Data JSON tidak valid' } };
      if (mid !== this.merchantId) return error('Merchant not found', 500);
      if ((body as Record<string, unknown>).signature !== md5(`${this.merchantId}${this.secretKey}`)) return error('Signature Not Valid', 500);
      return redeem[2] === 'redem/bulk' ? this.#bulk(asRecord(body)) : this.#detail(asRecord(body));
    }
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

  #bulk(b: Record<string, unknown>): Answer {
    if (typeof b.kode_voucher !== 'string' || !b.kode_voucher) return error('Data JSON tidak valid', 400);
    if (typeof b.session_key !== 'string' || !b.session_key) return error('Session key tidak valid', 500);
    if (this.redeemBusy > 0) {
      this.redeemBusy -= 1;
      return error('Engine sedang sibuk, coba lagi', 500);
    }
    const codes = Buffer.from(b.kode_voucher, 'base64').toString('utf8').split('\n').filter(Boolean);
    const projectId = `AGP${String(this.projects.size + 1).padStart(6, '0')}`;
    const vouchers = codes.map((code) => {
      const earlier = this.redeemSubmissions.get(code) ?? 0;
      this.redeemSubmissions.set(code, earlier + 1);
      return { id: ++this.#voucherSeq, code, earlier, reads: 0, status: 0, nominal: 0, note: '-' };
    });
    const project = { id: this.projects.size + 5000, projectId, sessionKey: b.session_key, vouchers };
    this.projects.set(projectId, project);
    return { status: 200, json: { status: 1, rc: 200, message: 'Bulk Redem Kiosgamer', data: { id: project.id, merchant_id: this.merchantId, project_id: projectId, total_voucher: vouchers.length }, ts: seconds() } };
  }

  #detail(b: Record<string, unknown>): Answer {
    const project = typeof b.projectid === 'string' ? this.projects.get(b.projectid) : undefined;
    if (!project) return error('Project ID tidak ditemukan', 500);
    // Upstream works on every project, read or not: all advance at each read.
    for (const p of this.projects.values()) for (const v of p.vouchers) this.#advance(p.projectId, v);
    const page = Number(b.page ?? 1);
    const limit = Number(b.limit ?? 30);
    const newest = [...project.vouchers].reverse();
    const stats = { pending: 0, success: 0, process: 0, error_engine: 0, error_voucher: 0 };
    const names = ['pending', 'success', 'process', 'error_engine', 'error_voucher'] as const;
    const nominals = new Map<number, number>();
    for (const v of project.vouchers) {
      stats[names[v.status]!] += 1;
      nominals.set(v.nominal, (nominals.get(v.nominal) ?? 0) + 1);
    }
    const at = '2024-08-15 14:32:18';
    const data = {
      current_page: page,
      data: {
        id: project.id,
        merchant_id: this.merchantId,
        project_id: project.projectId,
        total_voucher: project.vouchers.length,
        vouchers: newest.slice((page - 1) * limit, page * limit).map((v) => ({
          id: v.id,
          project_id: project.projectId,
          voucher_code: v.code,
          response_json: '',
          note: v.note,
          nominal_gs: v.nominal,
          created: at.slice(0, 10),
          cretaed_at: at,
          updated_at: at,
          status: v.status,
        })),
        kategori_voucher: [...nominals].sort((x, y) => x[0] - y[0]).map(([n, total]) => ({ name: String(n), total })),
        stats,
      },
      total_data: project.vouchers.length,
      total_page: Math.ceil(project.vouchers.length / limit),
    };
    return { status: 200, json: { status: 1, rc: 200, message: 'List Voucher Redem Kiosgamer', data, ts: seconds() } };
  }

  /** Pending, then process on the first read, then final on the next. */
  #advance(projectId: string, v: FakeVoucher): void {
    v.reads += 1;
    if (v.status !== 0 && v.status !== 2) return;
    if (v.reads === 1) {
      v.status = 2;
      return;
    }
    const c = v.code.toUpperCase();
    const done = this.redeemed.get(v.code);
    if (c.endsWith('USED') || done) [v.status, v.note] = [4, 'Voucher sudah digunakan'];
    else if (c.endsWith('ERR') || (c.endsWith('ERR1') && v.earlier === 0)) [v.status, v.note] = [3, 'error_engine: Kiosgamer tidak merespon'];
    else {
      const last = c.at(-1) ?? '';
      v.nominal = /[0-3]/.test(last) ? 25 : /[4-6]/.test(last) ? 50 : /[7-9]/.test(last) ? 100 : 25;
      v.status = 1;
      v.note = 'Sukses';
      this.redeemed.set(v.code, projectId);
    }
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
