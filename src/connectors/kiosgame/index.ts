import { z } from 'zod';
import { balanceAlert, baseUrl, callbackUrl, chosenCallbackUrl, rateLimit, secret, toRateLimit } from '../kit/config.js';
import { SupplierHttp } from '../kit/http.js';
import type { CallContext, CallbackVerdict, ConnectorContext, ConnectorFactory, InboundRequest, PurchaseInput, StatusInput, StatusOutcome, SupplierConnector, SupplierOutcome, SupplierProduct } from '../types.js';
import { invoiceOutcome, orderAnswer, statusAnswer } from './mapping.js';
import { callbackSchema, categorySchema, PRODUCTION_URL, productSchema, successEnvelope, userSchema, verifySignature } from './protocol.js';

/**
 * `kiosgame`: a client of the Kiosgame Indonesia / Toss Games / TopupKuy white-label API, which is
 * the API kios itself serves, so one kios can buy from another. Purchases go to `POST /v2/order`
 * with the attempt reference as `trx_id`: re-sending it is a status check there, never a second
 * purchase. The platform has no separate account check: a wrong destination is refused by the
 * order itself (INVALID_USER_ID, NICKNAME_NOT_FOUND), before anything is charged.
 */
export const kiosgameConfigSchema = z
  .object({
    base_url: baseUrl(PRODUCTION_URL),
    api_key: secret('api_key'),
    /** Sent as each order's `callback_url`; by default kios's own (PUBLIC_URL), `false` for none. */
    callback_url: callbackUrl.optional(),
    rate_limit: rateLimit.optional(),
    balance_alert: balanceAlert.optional(),
  })
  .strict();
export type KiosgameConfig = z.infer<typeof kiosgameConfigSchema>;

export class KiosgameConnector implements SupplierConnector {
  readonly kind = 'kiosgame';
  readonly rateLimit;
  readonly #http: SupplierHttp;
  readonly #callbackUrl: string | null;

  constructor(
    private readonly config: KiosgameConfig,
    ctx: ConnectorContext,
  ) {
    this.#http = new SupplierHttp({ baseUrl: config.base_url, timeoutMs: ctx.timeoutMs, dispatcher: ctx.dispatcher, secrets: [config.api_key] });
    this.#callbackUrl = chosenCallbackUrl(config.callback_url, ctx.callbackUrl);
    this.rateLimit = toRateLimit(config.rate_limit, null);
  }

  async purchase(input: PurchaseInput, call: CallContext): Promise<SupplierOutcome> {
    const body: Record<string, string> = { product_code: input.sku, user_id: input.userId };
    if (input.serverId !== null) body.server_id = input.serverId;
    body.trx_id = input.ref;
    if (this.#callbackUrl) body.callback_url = this.#callbackUrl;
    const answer = await this.#http.send(call, { method: 'POST', path: '/v2/order', headers: this.#auth(), json: body });
    return orderAnswer(answer, input.ref);
  }

  async status(input: StatusInput, call: CallContext): Promise<StatusOutcome> {
    const answer = await this.#http.send(call, { method: 'GET', path: `/v1/status/trx-id/${encodeURIComponent(input.ref)}`, headers: this.#auth() });
    return statusAnswer(answer, input.ref);
  }

  async balance(call: CallContext): Promise<number> {
    const answer = await this.#http.send(call, { method: 'GET', path: '/v1/user', headers: this.#auth() });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = successEnvelope(userSchema).safeParse(answer.json);
    if (!ok.success) throw new Error(`HTTP ${answer.status}: ${errorCode(answer.json) ?? 'unreadable answer'}`);
    return ok.data.data.user_balance;
  }

  parseCallback(req: InboundRequest): CallbackVerdict {
    if (req.method !== 'POST') return { kind: 'refused', status: 400, reason: 'callbacks are POSTed JSON' };
    if (!verifySignature(req.rawBody, req.headers['x-signature'], this.config.api_key)) return { kind: 'refused', status: 401, reason: 'bad or missing x-signature' };
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return { kind: 'refused', status: 400, reason: 'the body is not JSON' };
    }
    const parsed = callbackSchema.safeParse(body);
    if (!parsed.success || parsed.data.trx_id === null) return { kind: 'refused', status: 400, reason: 'not an invoice of ours (no trx_id)' };
    return { kind: 'outcome', ref: parsed.data.trx_id, outcome: invoiceOutcome(parsed.data, parsed.data.trx_id) };
  }

  /** `/v1/category` (which brands need a server id), then every product of `/v1/products`. */
  async *catalog(call: CallContext): AsyncIterable<SupplierProduct> {
    const cats = await this.#http.send(call, { method: 'GET', path: '/v1/category', headers: this.#auth(), maxBytes: 8 * 1024 * 1024 });
    if (cats.kind === 'no_answer') throw new Error(`no answer: ${cats.error}`);
    const catsOk = successEnvelope(z.array(categorySchema)).safeParse(cats.json);
    if (!catsOk.success) throw new Error(`HTTP ${cats.status}: ${errorCode(cats.json) ?? 'unreadable category list'}`);
    const server = new Map(catsOk.data.data.map((c) => [c.category_title, c.is_server === true || c.is_server === 1]));
    const answer = await this.#http.send(call, { method: 'GET', path: '/v1/products', headers: this.#auth(), maxBytes: 32 * 1024 * 1024 });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = successEnvelope(z.array(productSchema)).safeParse(answer.json);
    if (!ok.success) throw new Error(`HTTP ${answer.status}: ${errorCode(answer.json) ?? 'unreadable product list'}`);
    for (const p of ok.data.data) {
      yield { sku: p.product_code, name: p.product_name, cost: p.product_price, active: p.is_active === true || p.is_active === 1, brand: p.category_title ?? 'Lainnya', category: p.category_type ?? null, needsServer: server.get(p.category_title ?? '') ?? false };
    }
  }

  #auth(): Record<string, string> {
    return { authorization: this.config.api_key };
  }
}

function errorCode(json: unknown): string | null {
  const m = (json as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m.slice(0, 60) : null;
}

export const kiosgameFactory: ConnectorFactory<KiosgameConfig> = {
  kind: 'kiosgame',
  title: 'Kiosgame Indonesia / Toss Games / TopupKuy (and kios)',
  configSchema: kiosgameConfigSchema,
  secretKeys: ['api_key'],
  callbacks: true,
  create: (config, ctx) => new KiosgameConnector(config, ctx),
};
