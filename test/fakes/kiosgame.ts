import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeSupplier, post, type FakeOptions, type FakeTxn } from './fake-supplier.js';
import { FAKE_BRANDS, type FakeCatalog } from './catalog.js';

/**
 * A fake Kiosgame Indonesia / Toss Games platform, from the published collection: API key in
 * `Authorization`, `POST /v2/order` deduplicating by `trx_id` (a reused one returns the existing
 * invoice), `GET /v1/status/trx-id/:trx_id`, `GET /v1/user`, `GET /v1/products`, and callbacks
 * of the invoice plus `balance`, signed `x-signature` = HMAC-SHA256(body, API key).
 */

export interface KiosgameFakeOptions extends FakeOptions {
  /** Serve this catalog from /v1/category and /v1/products (brands as categories) instead of the flat `products`. */
  catalog?: FakeCatalog;
  apiKey?: string;
  /** Product codes sold; any code when omitted. */
  products?: string[];
}

const REASON: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error' };

export class KiosgameFake extends FakeSupplier {
  readonly apiKey: string;

  constructor(readonly options: KiosgameFakeOptions = {}) {
    super(options);
    this.apiKey = options.apiKey ?? 'kg_fake_api_key_0123456789abcdef';
  }

  static async start(options: KiosgameFakeOptions = {}): Promise<KiosgameFake> {
    return new KiosgameFake(options).listen();
  }

  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { base_url: this.url, api_key: this.apiKey, ...extra };
  }

  protected async handle(req: IncomingMessage, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const auth = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (auth !== this.apiKey) return error(404, 'API_KEY_NOT_FOUND');
    if (req.method === 'GET' && path === '/v1/user') {
      return ok({ user_name: 'kios buyer', user_email: 'buyer@example.com', user_phone: null, user_balance: this.balance, user_created_at: '2026-01-01T00:00:00.000Z', user_updated_at: '2026-01-01T00:00:00.000Z', role_name: 'Platinum Member', role_code: 'platinum' });
    }
    const catalog = this.options.catalog;
    if (req.method === 'GET' && path === '/v1/category') {
      const brands = catalog ? FAKE_BRANDS : [{ name: 'Fake', category: 'Games', form: [{}] }];
      return ok(
        brands.map((b, i) => ({
          category_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          category_type: b.category === 'Voucher' ? 'voucher' : 'game',
          category_title: b.name,
          category_subtitle: null,
          category_banner: null,
          category_photo: null,
          category_slug: b.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
          is_active: 1,
          is_server: b.form.length > 1 ? 1 : 0,
          is_popular: 0,
          is_hotsale: 0,
          category_order: i,
        })),
      );
    }
    if (req.method === 'GET' && path === '/v1/products' && catalog) {
      return ok(
        catalog.products.map((p) => {
          const b = FAKE_BRANDS.find((x) => x.key === p.brandKey)!;
          return { product_id: '00000000-0000-4000-8000-000000000000', product_name: p.name, product_code: p.key, product_price: p.price, is_active: p.active, category_type: b.category === 'Voucher' ? 'voucher' : 'game', category_title: b.name, category_subtitle: null };
        }),
      );
    }
    if (req.method === 'GET' && path === '/v1/products') {
      return ok((this.options.products ?? ['S4_ML86', 'FF70']).map((code) => ({ product_id: '00000000-0000-4000-8000-000000000000', product_name: `Fake ${code}`, product_code: code, product_price: this.opts.price ?? 18_000, is_active: true, category_type: 'game', category_title: 'Fake', category_subtitle: null })));
    }
    const status = /^\/v1\/status\/trx-id\/(.+)$/.exec(path);
    if (req.method === 'GET' && status) {
      const txn = this.txns.get(decodeURIComponent(status[1]!));
      return txn ? ok(this.#invoice(txn)) : error(404, 'INVOICE_NOT_FOUND');
    }
    if (req.method === 'POST' && path === '/v2/order') return this.#order(body);
    return error(404, 'ROUTE_NOT_FOUND');
  }

  #order(body: unknown): { status: number; json: unknown } {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const { product_code: code, user_id: user, server_id: server, trx_id: trx, callback_url: callbackUrl } = b;
    if (typeof code !== 'string' || !code) return error(404, 'PRODUCT_NOT_FOUND');
    if (typeof user !== 'string' || !user) return error(400, 'INVALID_USER_ID');
    if (typeof trx !== 'string' || !trx) return error(400, 'BAD_REQUEST');
    const existing = this.txns.get(trx);
    if (existing) {
      existing.requests += 1;
      return { status: 200, json: { statusCode: 200, message: 'success', data: this.#invoice(existing) } };
    }
    const earlier = this.refused.get(trx);
    if (earlier) return earlier;
    const refuse = (status: number, code: string) => {
      const answer = error(status, code);
      this.refused.set(trx, answer);
      return answer;
    };
    if (this.options.products && !this.options.products.includes(code)) return refuse(404, 'PRODUCT_NOT_FOUND');
    const plan = this.plan(user, trx);
    if (plan === 'refuse' || this.refusedByFaults()) return refuse(400, 'PRODUCT_INACTIVE');
    if (plan === 'invalid') return refuse(400, 'INVALID_USER_ID');
    const price = this.opts.price ?? 18_000;
    if (this.balance < price) return refuse(400, 'INSUFFICIENT_BALANCE');
    const txn = this.create(
      {
        ref: trx,
        sku: code,
        destination: typeof server === 'string' && server ? `${user}(${server})` : user,
        supplierRef: this.nextSupplierRef('FAKEKG_XX_'),
        sn: null,
        price,
        callbackUrl: typeof callbackUrl === 'string' ? callbackUrl : null,
      },
      plan,
    );
    return { status: 201, json: { statusCode: 200, message: 'success', data: this.#invoice(txn) } };
  }

  #invoice(t: FakeTxn, state = t.state) {
    const status = state === 'success' ? 'SUCCESS' : state === 'failed' ? 'FAILED' : 'PENDING';
    const [user, server] = /^(.*)\((.*)\)$/.exec(t.destination)?.slice(1) ?? [t.destination, null];
    const note = `Fake - ${t.destination} . RefId: ${t.supplierRef}${state === 'failed' ? ' . Transaksi gagal' : ''}`;
    return {
      invoice_number: t.supplierRef,
      trx_id: t.ref,
      response_note: note,
      category: { title: 'Fake', subtitle: null, type: 'game' },
      product: { name: `Fake ${t.sku}`, code: t.sku, price: t.price },
      user_input: { user_id: user, server_id: server, nickname: 'Fake' },
      amount: t.price,
      status,
      voucher: null,
      created_at: new Date(t.createdAt).toISOString(),
    };
  }

  protected async sendCallback(txn: FakeTxn, url: string): Promise<number> {
    const inv = this.#invoice(txn);
    // The documented order: the invoice fields with `balance` after `user_input`.
    const data = { invoice_number: inv.invoice_number, trx_id: inv.trx_id, response_note: inv.response_note, category: inv.category, product: inv.product, user_input: inv.user_input, balance: this.balance, amount: inv.amount, status: inv.status, voucher: inv.voucher, created_at: inv.created_at };
    const body = JSON.stringify(data);
    return post(url, body, { 'x-signature': createHmac('sha256', this.apiKey).update(body).digest('hex') });
  }
}

function ok(data: unknown): { status: number; json: unknown } {
  return { status: 200, json: { statusCode: 200, message: 'success', data } };
}

function error(status: number, code: string): { status: number; json: unknown } {
  return { status, json: { statusCode: status, message: code, error: REASON[status] ?? 'Error' } };
}
