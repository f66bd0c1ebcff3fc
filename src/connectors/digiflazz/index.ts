import { z } from 'zod';
import { balanceAlert, baseUrl, callbackUrl, chosenCallbackUrl, rateLimit, required, secret, toRateLimit } from '../kit/config.js';
import { SupplierHttp } from '../kit/http.js';
import type { CallContext, CallbackVerdict, ConnectorContext, ConnectorFactory, InboundRequest, PurchaseInput, StatusInput, StatusOutcome, SupplierConnector, SupplierOutcome, SupplierProduct } from '../types.js';
import { transactionAnswer, transactionOutcome } from './mapping.js';
import { balanceSchema, balanceSign, envelope, PRODUCTION_URL, priceListItemSchema, priceListSign, transactionSchema, transactionSign, verifyWebhook } from './protocol.js';

/**
 * `digiflazz`: the Digiflazz buyer API. A purchase is `POST /transaction` with the attempt
 * reference as `ref_id`; re-sending exactly the same request is Digiflazz's status check, so a
 * status check here can never buy a second time under another reference. Digiflazz has no
 * account (nickname) check. With `max_price` (the reseller's price by default) Digiflazz refuses
 * to buy above what the order sells for (rc 69), so a supplier price rise is never a loss.
 */
export const digiflazzConfigSchema = z
  .object({
    base_url: baseUrl(PRODUCTION_URL),
    username: required('username', 100),
    api_key: secret('api_key'),
    /** Verifies webhooks (`X-Hub-Signature`); without it every webhook is refused and status checks decide. */
    webhook_secret: secret('webhook_secret').optional(),
    /** Digiflazz's development mode (its test numbers; nothing is charged). */
    testing: z.boolean().default(false),
    /** `cb_url` sent with each transaction: kios's own callback URL by default (PUBLIC_URL), `false` for none. */
    cb_url: callbackUrl.optional(),
    /** `max_price` sent with each transaction: the order's price, the route's cost, or none. */
    max_price: z.enum(['price', 'cost', 'none']).default('price'),
    /** How `customer_no` is built from the order's destination. */
    customer_no: z
      .string()
      .max(100)
      .refine((s) => s.includes('{user_id}'), 'must contain {user_id}')
      .default('{user_id}{server_id}'),
    rate_limit: rateLimit.optional(),
    balance_alert: balanceAlert.optional(),
  })
  .strict();
export type DigiflazzConfig = z.infer<typeof digiflazzConfigSchema>;

export class DigiflazzConnector implements SupplierConnector {
  readonly kind = 'digiflazz';
  readonly rateLimit;
  readonly #http: SupplierHttp;
  readonly #cbUrl: string | null;

  constructor(
    private readonly config: DigiflazzConfig,
    ctx: ConnectorContext,
  ) {
    this.#http = new SupplierHttp({ baseUrl: config.base_url, timeoutMs: ctx.timeoutMs, dispatcher: ctx.dispatcher, secrets: [config.api_key, config.webhook_secret ?? ''] });
    this.#cbUrl = chosenCallbackUrl(config.cb_url, ctx.callbackUrl);
    this.rateLimit = toRateLimit(config.rate_limit, null);
  }

  async purchase(input: PurchaseInput, call: CallContext): Promise<SupplierOutcome> {
    const answer = await this.#http.send(call, { method: 'POST', path: '/transaction', json: this.#transaction(input) });
    return transactionAnswer(answer, input.ref);
  }

  /** The same request again: Digiflazz answers with the transaction's current state. */
  async status(input: StatusInput, call: CallContext): Promise<StatusOutcome> {
    return this.purchase(input, call);
  }

  async balance(call: CallContext): Promise<number> {
    const { username, api_key } = this.config;
    const answer = await this.#http.send(call, { method: 'POST', path: '/cek-saldo', json: { cmd: 'deposit', username, sign: balanceSign(username, api_key) } });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = envelope(balanceSchema).safeParse(answer.json);
    if (!ok.success) throw new Error(`HTTP ${answer.status}: ${describeError(answer.json)}`);
    return Math.floor(ok.data.data.deposit);
  }

  parseCallback(req: InboundRequest): CallbackVerdict {
    if (!this.config.webhook_secret) return { kind: 'refused', status: 401, reason: 'no webhook_secret configured for this supplier: webhooks cannot be verified' };
    if (!verifyWebhook(req.rawBody, req.headers['x-hub-signature'], this.config.webhook_secret)) return { kind: 'refused', status: 401, reason: 'bad or missing X-Hub-Signature' };
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return { kind: 'refused', status: 400, reason: 'the body is not JSON' };
    }
    const parsed = envelope(transactionSchema).safeParse(body);
    if (!parsed.success) {
      // The ping Digiflazz sends when a webhook is set up carries a hook id and no transaction.
      if (typeof (body as { hook_id?: unknown } | null)?.hook_id === 'string') return { kind: 'ack', note: 'ping received' };
      return { kind: 'refused', status: 400, reason: 'not a Digiflazz transaction' };
    }
    const t = parsed.data.data;
    if (!t.ref_id) return { kind: 'refused', status: 400, reason: 'the transaction has no ref_id' };
    return { kind: 'outcome', ref: t.ref_id, outcome: transactionOutcome(t, t.ref_id) };
  }

  async *catalog(call: CallContext): AsyncIterable<SupplierProduct> {
    const { username, api_key } = this.config;
    const answer = await this.#http.send(call, {
      method: 'POST',
      path: '/price-list',
      json: { cmd: 'prepaid', username, sign: priceListSign(username, api_key) },
      maxBytes: 64 * 1024 * 1024,
    });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = envelope(z.array(priceListItemSchema)).safeParse(answer.json);
    if (!ok.success) throw new Error(`HTTP ${answer.status}: ${describeError(answer.json)}`);
    for (const p of ok.data.data) {
      yield { sku: p.buyer_sku_code, name: p.product_name, cost: Math.ceil(p.price), active: p.buyer_product_status && p.seller_product_status, brand: p.brand ?? p.category ?? 'Lainnya', category: p.category ?? null };
    }
  }

  #transaction(input: PurchaseInput): Record<string, unknown> {
    const { username, api_key, testing } = this.config;
    const body: Record<string, unknown> = {
      username,
      buyer_sku_code: input.sku,
      customer_no: this.config.customer_no.replace('{user_id}', input.userId).replace('{server_id}', input.serverId ?? ''),
      ref_id: input.ref,
      sign: transactionSign(username, api_key, input.ref),
    };
    if (testing) body.testing = true;
    const maxPrice = this.config.max_price === 'price' ? input.price : this.config.max_price === 'cost' ? input.cost : null;
    if (maxPrice !== null) body.max_price = maxPrice;
    if (this.#cbUrl) body.cb_url = this.#cbUrl;
    return body;
  }
}

function describeError(json: unknown): string {
  const data = (json as { data?: { rc?: unknown; message?: unknown } } | null)?.data;
  if (data && typeof data.rc === 'string') return `rc ${data.rc} ${typeof data.message === 'string' ? data.message.slice(0, 100) : ''}`.trim();
  return 'unreadable answer';
}

export const digiflazzFactory: ConnectorFactory<DigiflazzConfig> = {
  kind: 'digiflazz',
  title: 'Digiflazz',
  configSchema: digiflazzConfigSchema,
  secretKeys: ['api_key', 'webhook_secret'],
  callbacks: true,
  create: (config, ctx) => new DigiflazzConnector(config, ctx),
};
