import { z } from 'zod';
import { inputFormSchema, type InputForm } from '../../domain/input-form.js';
import { balanceAlert, baseUrl, rateLimit, secret, toRateLimit } from '../kit/config.js';
import { SupplierHttp, type HttpAnswer } from '../kit/http.js';
import type { CallContext, CallbackVerdict, ConnectorContext, ConnectorFactory, InboundRequest, PurchaseInput, RateLimit, StatusInput, StatusOutcome, SupplierConnector, SupplierOutcome, SupplierProduct } from '../types.js';
import { orderAnswer, statusAnswer } from './mapping.js';
import { brandSchema, envelope, headerSchema, PATHS, PRODUCTION_URL, sign, SIGNED, variationSchema, type Brand } from './protocol.js';

/**
 * `vcgamers`: VCGamers Mitra API v2. A route's sku is `<brand_key>/<variation_key>` (`MLBB/MLBB112`);
 * a purchase is `POST /v2/public/order` with the attempt reference as `ref_id` and the buyer's
 * inputs, in the brand form's order, as `data`. VCGamers refuses a second order under a known
 * `ref_id` (rc 23), so re-sending the order is a safe status check when the purchase answer was
 * lost; with the `tid` (`trx_code`) of the order answer, status is `GET /v2/public/order-status`.
 * The `price` sent is the route's cost (or the order's price without one): VCGamers refuses to
 * sell above it (rc 24), so a price rise is never a loss.
 *
 * Not implemented, for want of a public description: the separate Check ID call (orders proceed
 * without a nickname) and a balance call (`balance_alert` is accepted and unused). Webhooks are
 * configured in VCGamers's dashboard and are not signed, so `parseCallback` trusts none of them:
 * it only tells kios which attempt to check now.
 */

/** 200 requests per 60 s per IP (the collection's "Rate Limit"). */
export const DECLARED_RATE_LIMIT: RateLimit = { requests: 200, perMs: 60_000 };

export const vcgamersConfigSchema = z
  .object({
    /** `https://mitra-api.vcgamers.com`; the development host is `https://h2h-api.vcg.my.id`. */
    base_url: baseUrl(PRODUCTION_URL),
    /** The API access key, sent as `Authorization: Bearer <access_key>`. */
    access_key: secret('access_key'),
    /** The secret key every `sign` is computed with. */
    secret_key: secret('secret_key'),
    rate_limit: rateLimit.optional(),
    balance_alert: balanceAlert.optional(),
  })
  .strict();
export type VcgamersConfig = z.infer<typeof vcgamersConfigSchema>;

/** `<brand_key>/<variation_key>`, split at the first `/`; null when either part is missing. */
export function splitSku(sku: string): { brandKey: string; variationKey: string } | null {
  const i = sku.indexOf('/');
  if (i <= 0 || i === sku.length - 1) return null;
  return { brandKey: sku.slice(0, i), variationKey: sku.slice(i + 1) };
}

export class VcgamersConnector implements SupplierConnector {
  readonly kind = 'vcgamers';
  readonly rateLimit: RateLimit | null;
  readonly #http: SupplierHttp;

  constructor(
    private readonly config: VcgamersConfig,
    ctx: ConnectorContext,
  ) {
    this.#http = new SupplierHttp({ baseUrl: config.base_url, timeoutMs: ctx.timeoutMs, dispatcher: ctx.dispatcher, secrets: [config.access_key, config.secret_key] });
    this.rateLimit = toRateLimit(config.rate_limit, DECLARED_RATE_LIMIT);
  }

  async purchase(input: PurchaseInput, call: CallContext): Promise<SupplierOutcome> {
    const route = splitSku(input.sku);
    if (!route) return badSku(input.sku);
    return this.#masked(orderAnswer(await this.#order(input, route, call), input.ref));
  }

  /**
   * By `tid` when the order answer gave one; else the same order again under the same `ref_id`:
   * VCGamers answers 23 (known: still pending) and never buys twice, or 00 when the order only
   * arrives now.
   */
  async status(input: StatusInput, call: CallContext): Promise<StatusOutcome> {
    if (input.supplierRef) {
      const tid = input.supplierRef;
      const answer = await this.#http.send(call, { method: 'GET', path: PATHS.orderStatus, headers: this.#auth(), query: { tid, sign: this.#sign(...SIGNED.orderStatus(tid)) } });
      return this.#masked(statusAnswer(answer, tid, input.ref));
    }
    const route = splitSku(input.sku);
    // Such a purchase was refused before any request: VCGamers cannot have it.
    if (!route) return { kind: 'not_found' };
    return this.#masked(orderAnswer(await this.#order(input, route, call), input.ref));
  }

  parseCallback(req: InboundRequest): CallbackVerdict {
    if (req.method !== 'POST') return { kind: 'refused', status: 400, reason: 'webhooks are POSTed JSON' };
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return { kind: 'refused', status: 400, reason: 'the body is not JSON' };
    }
    if (!isObject(body)) return { kind: 'refused', status: 400, reason: 'the body is not a JSON object' };
    // Unsigned: nothing in it is believed. A reference of ours is only a reason to ask VCGamers now.
    const ref = refIn(body) ?? (isObject(body.data) ? refIn(body.data) : null);
    if (ref) return { kind: 'check', ref };
    const looksLike = (o: Record<string, unknown>) => ['variation_key', 'brand_key', 'trx_code', 'tid', 'type', 'event'].some((k) => typeof o[k] === 'string');
    if (!looksLike(body) && !(isObject(body.data) && looksLike(body.data))) return { kind: 'refused', status: 400, reason: 'not a VCGamers webhook' };
    const transactional = ['trx_code', 'tid', 'ref_id'].some((k) => k in body || (isObject(body.data) && k in body.data));
    if (transactional) return { kind: 'refused', status: 400, reason: 'a transaction event without a usable ref_id' };
    return { kind: 'ack', note: 'VCGamers event without a transaction (product status, top-up)' };
  }

  /** Brands (with their input forms), then each brand's variations: one product per variation. */
  async *catalog(call: CallContext): AsyncIterable<SupplierProduct> {
    const brandsAnswer = await this.#http.send(call, { method: 'GET', path: PATHS.brands, headers: this.#auth(), query: { sign: this.#sign(...SIGNED.brands()) }, maxBytes: 16 * 1024 * 1024 });
    if (brandsAnswer.kind === 'no_answer') throw new Error(`no answer: ${brandsAnswer.error}`);
    const brands = envelope(z.array(brandSchema)).safeParse(brandsAnswer.json);
    if (brandsAnswer.status !== 200 || !brands.success) throw new Error(this.#http.mask(`brands: HTTP ${brandsAnswer.status}: ${describeError(brandsAnswer.json)}`));
    for (const brand of brands.data.data) {
      const form = brandForm(brand.forms);
      const category = brand.category ?? (brand.is_voucher === undefined ? null : brand.is_voucher ? 'Voucher' : 'Games');
      for (const v of await this.#variations(brand, call)) {
        yield {
          sku: `${brand.key}/${v.key}`,
          name: v.variation_name,
          cost: Math.ceil(v.price),
          active: brand.is_active !== false && v.is_active,
          brand: brand.name || brand.key,
          category,
          form,
        };
      }
    }
  }

  async #variations(brand: Brand, call: CallContext): Promise<z.infer<typeof variationSchema>[]> {
    const answer = await this.#http.send(call, {
      method: 'GET',
      path: PATHS.variations,
      headers: this.#auth(),
      query: { brand_key: brand.key, sign: this.#sign(...SIGNED.variations(brand.key)) },
      maxBytes: 16 * 1024 * 1024,
    });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = envelope(z.array(variationSchema).nullable()).safeParse(answer.json);
    if (answer.status === 200 && ok.success) return ok.data.data ?? [];
    // A brand without variations (rc 44, "Data Not Found") has nothing to sell.
    const h = headerSchema.safeParse(answer.json);
    if (h.success && h.data.rc_code === '44') return [];
    throw new Error(this.#http.mask(`variations of ${brand.key.slice(0, 40)}: HTTP ${answer.status}: ${describeError(answer.json)}`));
  }

  #order(input: PurchaseInput, route: { brandKey: string; variationKey: string }, call: CallContext): Promise<HttpAnswer> {
    const order = {
      brand_key: route.brandKey,
      variation_key: route.variationKey,
      price: input.cost ?? input.price,
      ref_id: input.ref,
      data: input.inputs.map((i) => ({ key: i.key, value: i.value })),
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    return this.#http.send(call, { method: 'POST', path: PATHS.order, headers: this.#auth(), query: { sign: this.#sign(...SIGNED.order(order)) }, json: order });
  }

  /** Reasons quote VCGamers's messages: never let one carry a credential into logs or the database. */
  #masked<T extends StatusOutcome>(o: T): T {
    const m = { ...o } as T & { reason?: string; alert?: string };
    if (typeof m.reason === 'string') m.reason = this.#http.mask(m.reason);
    if (typeof m.alert === 'string') m.alert = this.#http.mask(m.alert);
    return m;
  }

  #sign(...parts: string[]): string {
    return sign(this.config.secret_key, ...parts);
  }

  #auth(): Record<string, string> {
    return { authorization: `Bearer ${this.config.access_key}` };
  }
}

function badSku(sku: string): SupplierOutcome {
  return { kind: 'failed', code: 'SKU', scope: 'route', reason: `route sku "${sku.slice(0, 60)}" is not <brand_key>/<variation_key> (e.g. MLBB/MLBB112): fix the route` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refIn(o: Record<string, unknown>): string | null {
  const r = o.ref_id;
  return typeof r === 'string' && r.length > 0 && r.length <= 100 && /^[\x21-\x7e]+$/.test(r) ? r : null;
}

/** A brand's `forms` as an input form, or null when it has none or it is not one kios can take (more than two fields, unknown types). */
export function brandForm(forms: unknown[] | null | undefined): InputForm | null {
  if (!forms || forms.length === 0) return null;
  const fields = forms.map((f) => {
    if (!isObject(f)) return f;
    const field: Record<string, unknown> = { key: f.key, type: f.type, alias: f.alias };
    // Some publishers send `options: null` or `[]` on fields that have none.
    const none = f.options === null || f.options === undefined || (f.type !== 'option' && Array.isArray(f.options) && f.options.length === 0);
    if (!none) field.options = f.options;
    return field;
  });
  const r = inputFormSchema.safeParse(fields);
  return r.success ? r.data : null;
}

function describeError(json: unknown): string {
  const h = headerSchema.safeParse(json);
  if (!h.success) return 'unreadable answer';
  const parts = [h.data.rc_code ? `rc ${h.data.rc_code}` : null, h.data.status ?? null, typeof h.data.message === 'string' ? h.data.message.slice(0, 100) : null].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'unreadable answer';
}

export const vcgamersFactory: ConnectorFactory<VcgamersConfig> = {
  kind: 'vcgamers',
  title: 'VCGamers Mitra',
  configSchema: vcgamersConfigSchema,
  secretKeys: ['access_key', 'secret_key'],
  callbacks: true,
  create: (config, ctx) => new VcgamersConnector(config, ctx),
};
