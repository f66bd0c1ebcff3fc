import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeSupplier, post, type FakeOptions, type FakeTxn } from './fake-supplier.js';
import { FAKE_BRANDS, type FakeCatalog } from './catalog.js';

/**
 * A fake Digiflazz buyer API (RULINGS section 4), written from the published documentation and
 * independent of kios's connector: every request's md5 signature and username are checked,
 * `/transaction` deduplicates by `ref_id` (re-sending is the status check), `max_price` is
 * honoured (rc 69), and webhooks carry `X-Hub-Signature: sha1=<HMAC-SHA1(body, secret)>`.
 */

export interface DigiflazzFakeOptions extends FakeOptions {
  username?: string;
  apiKey?: string;
  webhookSecret?: string;
  /** SKUs sold; any SKU when omitted. */
  skus?: string[];
  /** Serve this catalog as the price list (brands as Digiflazz brands) instead of the flat `skus`. */
  catalog?: FakeCatalog;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Response codes the fake answers with, and their words (the published table). */
const RC = {
  success: ['00', 'Sukses', 'Transaksi Sukses'],
  failed: ['02', 'Gagal', 'Transaksi Gagal'],
  pending: ['03', 'Pending', 'Transaksi Pending'],
  payload: ['40', 'Gagal', 'Payload Error'],
  signature: ['41', 'Gagal', 'Signature Anda salah'],
  username: ['42', 'Gagal', 'Gagal memproses API Buyer'],
  sku: ['43', 'Gagal', 'SKU tidak di temukan atau Non-Aktif'],
  balance: ['44', 'Gagal', 'Saldo tidak cukup'],
  unavailable: ['53', 'Gagal', 'Produk Seller Sedang Tidak Tersedia'],
  destination: ['54', 'Gagal', 'Nomor Tujuan Salah'],
  price: ['69', 'Gagal', 'Harga seller lebih besar dari ketentuan harga Buyer'],
} as const;

export class DigiflazzFake extends FakeSupplier {
  readonly username: string;
  readonly apiKey: string;
  readonly webhookSecret: string;

  constructor(readonly options: DigiflazzFakeOptions = {}) {
    super(options);
    this.username = options.username ?? 'kiosbuyer';
    this.apiKey = options.apiKey ?? 'dev-5f0c7e2a-digiflazz-fake-key';
    this.webhookSecret = options.webhookSecret ?? 'digiflazz-fake-webhook-secret';
  }

  static async start(options: DigiflazzFakeOptions = {}): Promise<DigiflazzFake> {
    return new DigiflazzFake(options).listen();
  }

  /** The kios configuration that points at this fake. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { base_url: this.url, username: this.username, api_key: this.apiKey, webhook_secret: this.webhookSecret, ...extra };
  }

  protected async handle(req: IncomingMessage, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    if (req.method !== 'POST') return { status: 404, json: { message: 'Not Found' } };
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    switch (path) {
      case '/cek-saldo':
        if (b.cmd !== 'deposit' || b.username !== this.username) return error(RC.username);
        if (b.sign !== md5(`${this.username}${this.apiKey}depo`)) return error(RC.signature);
        return { status: 200, json: { data: { deposit: this.balance } } };
      case '/price-list':
        if (b.username !== this.username) return error(RC.username);
        if (b.sign !== md5(`${this.username}${this.apiKey}pricelist`)) return error(RC.signature);
        return { status: 200, json: { data: this.#priceList() } };
      case '/transaction':
        return this.#transaction(b);
      default:
        return { status: 404, json: { message: 'Not Found' } };
    }
  }

  /** The price list: the catalog's products when the fake has a catalog, else the flat `skus`. */
  #priceList(): Record<string, unknown>[] {
    const items = this.options.catalog
      ? this.options.catalog.products.map((p) => {
          const brand = FAKE_BRANDS.find((x) => x.key === p.brandKey)!;
          return { name: p.name, category: brand.category, brand: brand.name.toUpperCase(), price: p.price, sku: p.key, active: p.active };
        })
      : (this.options.skus ?? ['ML86', 'FF70']).map((sku) => ({ name: `Fake ${sku}`, category: 'Games', brand: 'FAKE', price: this.opts.price ?? 18_000, sku, active: true }));
    return items.map((p) => ({
      product_name: p.name,
      category: p.category,
      brand: p.brand,
      type: 'Umum',
      seller_name: 'Fake Seller',
      price: p.price,
      buyer_sku_code: p.sku,
      buyer_product_status: p.active,
      seller_product_status: true,
      unlimited_stock: true,
      stock: 0,
      multi: true,
      start_cut_off: '0:0',
      end_cut_off: '0:0',
      desc: '-',
    }));
  }

  #transaction(b: Record<string, unknown>): { status: number; json: unknown } {
    const { username, buyer_sku_code: sku, customer_no: customer, ref_id: ref, sign } = b;
    if (typeof username !== 'string' || typeof sku !== 'string' || typeof customer !== 'string' || typeof ref !== 'string' || typeof sign !== 'string') return error(RC.payload);
    if (username !== this.username) return error(RC.username);
    if (sign !== md5(`${this.username}${this.apiKey}${ref}`)) return error(RC.signature);

    const existing = this.txns.get(ref);
    if (existing) {
      // The same request again: the status check.
      existing.requests += 1;
      return { status: 200, json: { data: this.#view(existing) } };
    }
    const earlier = this.refused.get(ref);
    if (earlier) return earlier;
    const price = this.opts.price ?? 18_000;
    const refusal = (rc: readonly [string, string, string]) => {
      const answer = { status: 200, json: { data: { ref_id: ref, customer_no: customer, buyer_sku_code: sku, message: rc[2], status: rc[1], rc: rc[0], sn: '', buyer_last_saldo: this.balance, price, tele: '@fake', wa: '0800' } } };
      this.refused.set(ref, answer);
      return answer;
    };
    if (this.options.skus && !this.options.skus.includes(sku)) return refusal(RC.sku);
    if (typeof b.max_price === 'number' && b.max_price < price) return refusal(RC.price);
    const plan = this.plan(customer, ref);
    if (plan === 'refuse' || this.refusedByFaults()) return refusal(RC.unavailable);
    if (plan === 'invalid') return refusal(RC.destination);
    if (this.balance < price) return refusal(RC.balance);
    const txn = this.create(
      {
        ref,
        sku,
        destination: customer,
        supplierRef: this.nextSupplierRef('DF'),
        sn: `SN${createHash('sha1').update(ref).digest('hex').slice(0, 16).toUpperCase()}`,
        price,
        callbackUrl: typeof b.cb_url === 'string' ? b.cb_url : null,
      },
      plan,
    );
    return { status: 200, json: { data: this.#view(txn) } };
  }

  #view(t: FakeTxn): Record<string, unknown> {
    const rc = t.state === 'success' ? RC.success : t.state === 'failed' ? RC.failed : RC.pending;
    return {
      ref_id: t.ref,
      customer_no: t.destination,
      buyer_sku_code: t.sku,
      message: rc[2],
      status: rc[1],
      rc: rc[0],
      sn: t.state === 'success' ? t.sn : '',
      buyer_last_saldo: this.balance,
      price: t.price,
      tele: '@fake',
      wa: '0800',
    };
  }

  protected async sendCallback(txn: FakeTxn, url: string): Promise<number> {
    const body = JSON.stringify({ data: this.#view(txn) });
    const signature = `sha1=${createHmac('sha1', this.webhookSecret).update(body).digest('hex')}`;
    return post(url, body, { 'x-hub-signature': signature, 'x-digiflazz-event': txn.state === 'pending' ? 'create' : 'update', 'user-agent': 'Digiflazz-Hookshot' });
  }

  /** The body and signature of a webhook about `txn` (for tests that tamper with one). */
  webhook(ref: string, state: 'pending' | 'success' | 'failed' = 'success'): { body: string; signature: string } {
    const txn = this.txns.get(ref) ?? { ref, sku: 'ML86', destination: '700000000', supplierRef: 'X', state, finalState: 'success' as const, sn: 'SN', price: 1, createdAt: 0, callbackUrl: null, requests: 0 };
    const body = JSON.stringify({ data: this.#view({ ...txn, state }) });
    return { body, signature: `sha1=${createHmac('sha1', this.webhookSecret).update(body).digest('hex')}` };
  }
}

function error(rc: readonly [string, string, string]): { status: number; json: unknown } {
  return { status: 400, json: { data: { rc: rc[0], message: rc[2], status: rc[1] } } };
}

