import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { InputForm } from '../../src/domain/input-form.js';
import { FAKE_BRANDS, FakeCatalog, type FakeProduct } from './catalog.js';
import { FakeSupplier, post, type FakeOptions, type FakeTxn } from './fake-supplier.js';

/**
 * A fake VCGamers Mitra API v2 (RULINGS section 4), written from the collection's introduction and
 * public integrations, independent of kios's connector: `Authorization: Bearer <access key>` and
 * the `sign` query parameter (base64 of the lowercase hex HMAC-SHA512 of secret + parts, keyed
 * with the secret) are checked on every call; brands (with their input forms) and variations come
 * from the shared `FakeCatalog`; `POST /v2/public/order` deduplicates by `ref_id` (rc 23, never a
 * second booking), refuses unknown variations (44), a price below the catalog's (24), a `data`
 * array that does not fill the brand's form (40), an empty ref_id (40) and a short balance (25);
 * `GET /v2/public/order-status?tid=` reports 1 processing, 2 success, 3 failed, 4 refunded; an
 * unsigned webhook `{type, data: <order status>}` is POSTed when a transaction ends.
 *
 * Answers are `{code, status, rc_code, message, data?}`; HTTP 200 on success, 400 for refusals,
 * 404 for "not found", 401 for token faults (41, 42), 403 for a bad signature (43) and 429 beyond
 * the optional rate limit (45).
 */

export interface VcgamersFakeOptions extends FakeOptions {
  accessKey?: string;
  secretKey?: string;
  /** What it sells; `new FakeCatalog(300)` by default. `price` (if given) overrides every price in it. */
  catalog?: FakeCatalog;
  /** VCGamers's own limit (200 / 60 s in production): requests beyond it are answered rc 45 (HTTP 429). */
  rateLimit?: { requests: number; perMs: number };
}

type Answer = { status: number; json: unknown };

interface OrderRecord {
  brandKey: string;
  variationKey: string;
  data: { key: string; value: string }[];
}

const sign = (secret: string, message: string) => Buffer.from(createHmac('sha512', secret).update(secret + message).digest('hex')).toString('base64');

function reply(http: number, rc: string, status: string, message: string, data?: unknown): Answer {
  return { status: http, json: { code: http, status, rc_code: rc, message, ...(data !== undefined ? { data } : {}) } };
}

export class VcgamersFake extends FakeSupplier {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly catalog: FakeCatalog;
  /** The last `data` received under each ref_id, exactly as sent. */
  readonly lastData = new Map<string, unknown>();
  /** Requests answered rc 45 by the fake's own rate limit. */
  limited = 0;
  readonly #orders = new Map<string, OrderRecord>();
  readonly #refunded = new Set<string>();
  readonly #window: number[] = [];

  constructor(readonly options: VcgamersFakeOptions = {}) {
    super(options);
    this.accessKey = options.accessKey ?? 'vcg-fake-access-key-7d1c0b9e4a';
    this.secretKey = options.secretKey ?? 'vcg-fake-secret-key-3f8a61c2';
    this.catalog = options.catalog ?? new FakeCatalog(300);
    if (options.price !== undefined) for (const p of this.catalog.products) p.price = options.price;
  }

  static async start(options: VcgamersFakeOptions = {}): Promise<VcgamersFake> {
    return new VcgamersFake(options).listen();
  }

  /** The kios configuration that points at this fake. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { base_url: this.url, access_key: this.accessKey, secret_key: this.secretKey, ...extra };
  }

  /** VCGamers reverses a transaction (status 4), returning its price, and sends the webhook. */
  refund(ref: string, reason = 'Refund: stok habis'): void {
    const txn = this.txns.get(ref);
    if (!txn) throw new Error(`no transaction ${ref}`);
    if (txn.state === 'pending' || txn.state === 'success') this.balance += txn.price;
    txn.state = 'failed';
    txn.sn = reason;
    this.#refunded.add(ref);
    this.notify(txn);
  }

  protected async handle(req: IncomingMessage, path: string, body: unknown): Promise<Answer> {
    if (this.options.rateLimit) {
      const { requests, perMs } = this.options.rateLimit;
      const now = Date.now();
      while (this.#window.length > 0 && this.#window[0]! <= now - perMs) this.#window.shift();
      if (this.#window.length >= requests) {
        this.limited += 1;
        return reply(429, '45', 'CLIENT_ERROR', 'Traffic limit exceeded, please try again after a while');
      }
      this.#window.push(now);
    }
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth) return reply(401, '41', 'UNAUTHENTICATED', 'Parse token error');
    if (auth[1] !== this.accessKey) return reply(401, '42', 'UNAUTHENTICATED', 'Unauthenticated');
    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    const given = query.get('sign') ?? '';
    const badSign = (message: string) => given !== sign(this.secretKey, message);
    const signatureInvalid = () => reply(403, '43', 'SIGNATURE_INVALID', 'Signature Invalid');

    if (req.method === 'GET' && path === '/v2/public/brands') {
      if (badSign('brand')) return signatureInvalid();
      return {
        status: 200,
        json: {
          code: 200,
          status: 'SUCCESS',
          data: FAKE_BRANDS.map((b) => ({ key: b.key, name: b.name, image_url: `https://cdn.example/${b.key}.png`, description: `${b.name} top up`, is_voucher: b.category === 'Voucher', is_active: true, forms: b.form })),
        },
      };
    }
    if (req.method === 'GET' && path === '/v2/public/variations') {
      const brandKey = query.get('brand_key') ?? '';
      if (badSign(`variation${brandKey}`)) return signatureInvalid();
      const brand = this.catalog.brand(brandKey);
      if (!brand) return reply(404, '44', 'NOT_FOUND', 'Data Not Found');
      const data = this.catalog.products.filter((p) => p.brandKey === brandKey).map((p) => ({ key: p.key, variation_name: p.name, brand_name: brand.name, price: p.price, is_active: p.active, sla: 5, is_new: false }));
      return { status: 200, json: { code: 200, status: 'SUCCESS', data } };
    }
    if (req.method === 'GET' && path === '/v2/public/order-status') {
      const tid = query.get('tid') ?? '';
      if (badSign(`orderstatus${tid}`)) return signatureInvalid();
      if (!tid) return reply(400, '40', 'VALIDATION_ERROR', 'tid is required');
      const txn = [...this.txns.values()].find((t) => t.supplierRef === tid);
      if (!txn) return reply(404, '44', 'NOT_FOUND', 'Transaction Not Available');
      return { status: 200, json: { code: 200, status: 'SUCCESS', data: this.#view(txn) } };
    }
    if (req.method === 'POST' && path === '/v2/public/order') return this.#order(body, given);
    return reply(404, '44', 'NOT_FOUND', 'Data Not Found');
  }

  #order(body: unknown, given: string): Answer {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply(400, '40', 'BAD_REQUEST', 'Invalid Parameter: body must be JSON');
    const b = body as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    if (given !== sign(this.secretKey, `order${str(b.brand_key)}${str(b.variation_key)}${str(b.price)}${str(b.ref_id)}${str(b.timestamp)}`)) return reply(403, '43', 'SIGNATURE_INVALID', 'Signature Invalid');
    const { brand_key: brandKey, variation_key: variationKey, price, ref_id: ref, data, timestamp } = b;
    if (typeof brandKey !== 'string' || !brandKey || typeof variationKey !== 'string' || !variationKey) return reply(400, '40', 'VALIDATION_ERROR', 'Invalid Parameter: brand_key and variation_key are required');
    if (typeof price !== 'number' || !Number.isInteger(price) || price < 0) return reply(400, '40', 'VALIDATION_ERROR', 'Invalid Parameter: price must be an integer');
    if (!(typeof timestamp === 'string' && /^\d+$/.test(timestamp)) && !(typeof timestamp === 'number' && Number.isInteger(timestamp))) return reply(400, '40', 'VALIDATION_ERROR', 'Invalid Parameter: timestamp');
    if (typeof ref !== 'string' || ref === '') return reply(400, '40', 'CLIENT_ERROR', 'Invalid Parameter: ref_id is required');
    this.lastData.set(ref, data);

    const existing = this.txns.get(ref);
    if (existing) {
      existing.requests += 1;
      return reply(400, '23', 'CLIENT_ERROR', 'Ref ID is already exist', { ref_id: ref, trx_code: existing.supplierRef });
    }
    const earlier = this.refused.get(ref);
    if (earlier) return earlier;
    const refuse = (a: Answer) => {
      this.refused.set(ref, a);
      return a;
    };
    const product = this.catalog.product(variationKey);
    const brand = this.catalog.brand(brandKey);
    if (!brand || !product || product.brandKey !== brandKey || !product.active) return refuse(reply(404, '44', 'NOT_FOUND', 'Data Not Found'));
    const bad = checkData(brand.form, data);
    if (bad) return refuse(reply(400, '40', 'VALIDATION_ERROR', `Invalid Parameter: ${bad}`));
    if (price < product.price) return refuse(reply(400, '24', 'CLIENT_ERROR', 'Product price limit exceeded'));
    const inputs = data as { key: string; value: string }[];
    const destination = inputs[0]!.value;
    const plan = this.plan(destination, ref);
    if (plan === 'refuse' || this.refusedByFaults()) return refuse(reply(400, '44', 'CLIENT_ERROR', 'Transaction Not Available'));
    if (plan === 'invalid') return refuse(reply(400, '40', 'VALIDATION_ERROR', `Invalid Parameter: ${brand.form[0]!.alias} is not valid`));
    if (this.balance < product.price) return refuse(reply(400, '25', 'CLIENT_ERROR', 'Insufficient Balance'));
    this.#orders.set(ref, { brandKey, variationKey, data: inputs.map((i) => ({ key: i.key, value: i.value })) });
    const txn = this.create(
      {
        ref,
        sku: `${brandKey}/${variationKey}`,
        destination,
        supplierRef: this.nextSupplierRef('VCG'),
        sn: `VC-${createHash('sha1').update(ref).digest('hex').slice(0, 12).toUpperCase()}`,
        price: product.price,
        // VCGamers sends webhooks to the URL set in its dashboard (`callbackUrl` of the options).
        callbackUrl: null,
      },
      plan,
    );
    return reply(200, '00', 'SUCCESS', 'Success', { trx_code: txn.supplierRef, transaction_status: 'Processing', selling_total: txn.price });
  }

  #product(ref: string): FakeProduct | undefined {
    const o = this.#orders.get(ref);
    return o ? this.catalog.product(o.variationKey) : undefined;
  }

  /** The order-status `data` of a transaction (also the webhook's `data`). */
  #view(t: FakeTxn): Record<string, unknown> {
    const refunded = this.#refunded.has(t.ref) && t.state === 'failed';
    const status = t.state === 'pending' ? 1 : t.state === 'success' ? 2 : refunded ? 4 : 3;
    const o = this.#orders.get(t.ref);
    const form = o ? this.catalog.brand(o.brandKey)?.form : undefined;
    const created = new Date(t.createdAt || Date.now());
    const history = [{ status_name: 'Processing', timestamp: created.toISOString() }];
    if (status === 2) history.push({ status_name: 'Success', timestamp: new Date().toISOString() });
    if (status === 3) history.push({ status_name: 'Failed', timestamp: new Date().toISOString() });
    if (status === 4) history.push({ status_name: 'Refund', timestamp: new Date().toISOString() });
    return {
      code: t.supplierRef,
      status,
      date: created.toISOString().slice(0, 10),
      grand_total: t.price,
      delivery_duration: 0,
      ref_id: t.ref,
      sn: status === 3 ? 'Transaksi gagal: user id tidak ditemukan' : status === 4 ? (t.sn ?? 'Refund') : '',
      detail: {
        variation_key: o?.variationKey ?? t.sku,
        variation_name: this.#product(t.ref)?.name ?? t.sku,
        price: t.price,
        customer_data: Object.fromEntries((o?.data ?? []).map((d) => [d.key, d.value])),
        voucher_code: status === 2 ? (t.sn ?? '') : '',
        order_param: (o?.data ?? []).map((d, i) => ({ alias: form?.[i]?.alias ?? d.key, key: d.key, value: d.value })),
      },
      history_status: history,
    };
  }

  /** The webhook body about a transaction (unsigned, as VCGamers sends it). */
  webhook(ref: string, state: 'pending' | 'success' | 'failed' = 'success'): string {
    const txn = this.txns.get(ref) ?? { ref, sku: 'MLBB/MLBB10', destination: '700000000', supplierRef: 'VCG-MADEUP', state, finalState: 'success' as const, sn: 'VC-MADEUP', price: 1, createdAt: 0, callbackUrl: null, requests: 0 };
    return JSON.stringify({ type: 'STATUS_UPDATE', data: this.#view({ ...txn, state }) });
  }

  protected async sendCallback(txn: FakeTxn, url: string): Promise<number> {
    return post(url, this.webhook(txn.ref, txn.state), { 'user-agent': 'VCGamers-Webhook' });
  }
}

/** Why `data` does not fill `form` (keys in order, `{key, value}` only, types and options), or null. */
function checkData(form: InputForm, data: unknown): string | null {
  if (!Array.isArray(data) || data.length === 0) return 'data is required';
  if (data.length !== form.length) return `data must have ${form.length} item(s): ${form.map((f) => f.key).join(', ')}`;
  for (const [i, field] of form.entries()) {
    const item = data[i] as unknown;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return `data[${i}] must be {key, value}`;
    const keys = Object.keys(item).sort();
    if (keys.length !== 2 || keys[0] !== 'key' || keys[1] !== 'value') return `data[${i}] must be exactly {key, value}`;
    const { key, value } = item as { key: unknown; value: unknown };
    if (key !== field.key) return `data[${i}].key must be ${field.key}`;
    if (typeof value !== 'string' || value === '') return `data[${i}].value must be a non-empty string`;
    if (field.type === 'numeric' && !/^\d+$/.test(value)) return `${field.alias} must be numeric`;
    if (field.type === 'option' && !field.options!.includes(value)) return `${field.alias} must be one of ${field.options!.join(', ')}`;
  }
  return null;
}
