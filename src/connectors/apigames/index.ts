import { z } from 'zod';
import { balanceAlert, baseUrl, rateLimit, required, secret, toRateLimit } from '../kit/config.js';
import { SupplierHttp } from '../kit/http.js';
import type { AccountCheck, AccountCheckInput, CallContext, CallbackVerdict, ConnectorContext, ConnectorFactory, InboundRequest, PurchaseInput, StatusInput, StatusOutcome, SupplierConnector, SupplierOutcome } from '../types.js';
import { ApigamesRedeemEngine } from './redeem.js';
import type { RedeemEngine } from '../../redeem/engine.js';
import { accountCheckAnswer, purchaseAnswer, statusAnswer, transactionOutcome } from './mapping.js';
import { accountSchema, accountSign, errorEnvelope, okEnvelope, PATHS, PRODUCTION_URL, transactionSchema, transactionSign, usernameSign, verifyWebhook } from './protocol.js';

/**
 * `apigames`: APIGames v2 (`https://v1.apigames.id`), which relays each purchase to the
 * merchant's own connected accounts (Kiosgamer, SmileOne, UniPin, ...). A purchase is
 * `POST /v2/transaksi` with the attempt reference as `ref_id`; its first answer is Pending, and
 * the outcome comes from `GET /v2/transaksi/status` or the webhook. APIGames forbids asking the
 * purchase endpoint for a status, so `status()` only ever calls the status endpoint. There is no
 * public product list: routes are set up by hand with APIGames product codes (`ML80`, `ff5`, or
 * the merchant's custom-prefixed codes such as `AGML80`) as the route's SKU.
 */

const gameCode = z.string().regex(/^[a-z0-9_-]{1,40}$/i, 'a game code such as mobilelegend or freefire');
const skuPrefix = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'an SKU prefix: letters, digits and _ . - (at most 40)');

export const apigamesConfigSchema = z
  .object({
    base_url: baseUrl(PRODUCTION_URL),
    merchant_id: required('merchant_id', 100),
    secret_key: secret('secret_key'),
    /**
     * Nickname checks (`cek-username/{game}`): SKU prefix -> APIGames game code, e.g.
     * `{"ML": "mobilelegend", "FF": "freefire"}` (prefixes match without regard to case, the
     * longest wins). APIGames checks only a few games and product codes are the merchant's own
     * (custom prefixes), so there is no default: an SKU no prefix matches is not checked.
     */
    check_games: z
      .record(skuPrefix, gameCode)
      .refine((r) => Object.keys(r).length <= 200, 'at most 200 entries')
      .optional(),
    /**
     * What a verified webhook does. APIGames's `X-Apigames-Authorization` is md5 over the
     * merchant, the secret and the `ref_id` only: it proves who sent a webhook about that
     * reference, not what the body says, and it is the same on every webhook about it. `check`
     * (default): kios trusts nothing in the body and asks the status endpoint at once. `trust`:
     * the body's status decides, as APIGames's documents intend.
     */
    webhook: z.enum(['check', 'trust']).default('check'),
    rate_limit: rateLimit.optional(),
    balance_alert: balanceAlert.optional(),
  })
  .strict();
export type ApigamesConfig = z.infer<typeof apigamesConfigSchema>;

export class ApigamesConnector implements SupplierConnector {
  readonly kind = 'apigames';
  readonly rateLimit;
  readonly #http: SupplierHttp;
  /** Lower-cased prefixes, longest first. */
  readonly #games: [prefix: string, game: string][];

  constructor(
    private readonly config: ApigamesConfig,
    ctx: ConnectorContext,
  ) {
    this.#http = new SupplierHttp({ baseUrl: config.base_url, timeoutMs: ctx.timeoutMs, dispatcher: ctx.dispatcher, secrets: [config.secret_key] });
    // APIGames publishes no rate limit.
    this.rateLimit = toRateLimit(config.rate_limit, null);
    this.#games = Object.entries(config.check_games ?? {})
      .map(([p, g]): [string, string] => [p.toLowerCase(), g])
      .sort((a, b) => b[0].length - a[0].length);
  }

  async purchase(input: PurchaseInput, call: CallContext): Promise<SupplierOutcome> {
    const { merchant_id, secret_key } = this.config;
    // The documented field order; `server_id` is "" when the product has none.
    const body = {
      ref_id: input.ref,
      merchant_id,
      produk: input.sku,
      tujuan: input.userId,
      server_id: input.serverId ?? '',
      signature: transactionSign(merchant_id, secret_key, input.ref),
    };
    const answer = await this.#http.send(call, { method: 'POST', path: PATHS.transaction, json: body });
    return purchaseAnswer(answer, input.ref);
  }

  /** Only ever the status endpoint: re-sending the purchase to learn its status is forbidden. */
  async status(input: StatusInput, call: CallContext): Promise<StatusOutcome> {
    const { merchant_id, secret_key } = this.config;
    const answer = await this.#http.send(call, {
      method: 'GET',
      path: PATHS.status,
      query: { merchant_id, ref_id: input.ref, signature: transactionSign(merchant_id, secret_key, input.ref) },
    });
    return statusAnswer(answer, input.ref);
  }

  async balance(call: CallContext): Promise<number> {
    const { merchant_id, secret_key } = this.config;
    const answer = await this.#http.send(call, { method: 'GET', path: PATHS.account(merchant_id), query: { signature: accountSign(merchant_id, secret_key) } });
    if (answer.kind === 'no_answer') throw new Error(`no answer: ${answer.error}`);
    const ok = okEnvelope(accountSchema).safeParse(answer.json);
    if (ok.success && answer.status >= 200 && answer.status < 300) {
      const saldo = Math.floor(ok.data.data.saldo);
      if (Number.isSafeInteger(saldo)) return saldo;
    }
    const err = errorEnvelope.safeParse(answer.json);
    throw new Error(`HTTP ${answer.status}: ${err.success ? err.data.error_msg.slice(0, 100) : 'unreadable answer'}`);
  }

  /**
   * `cek-username/{game}` for SKUs a `check_games` prefix maps to a game. The user id sent is the
   * user id followed by the server id (Mobile Legends: id + zone, as integrations send it).
   */
  async checkAccount(input: AccountCheckInput, call: CallContext): Promise<AccountCheck> {
    const game = this.#gameFor(input.sku);
    if (!game) return { kind: 'unavailable', reason: 'no check_games entry for this SKU' };
    const { merchant_id, secret_key } = this.config;
    const answer = await this.#http.send(call, {
      method: 'GET',
      path: PATHS.checkUsername(merchant_id, game),
      query: { user_id: `${input.userId}${input.serverId ?? ''}`, signature: usernameSign(merchant_id, secret_key) },
    });
    return accountCheckAnswer(answer);
  }

  /**
   * A webhook: the header is checked before anything in the body is believed. The body's
   * `ref_id` is read only to compute the header it must carry (the signature covers nothing else).
   */
  parseCallback(req: InboundRequest): CallbackVerdict {
    if (req.method !== 'POST') return { kind: 'refused', status: 400, reason: 'APIGames webhooks are POSTed JSON' };
    const given = req.headers['x-apigames-authorization'];
    if (!given) return { kind: 'refused', status: 401, reason: 'missing X-Apigames-Authorization' };
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return { kind: 'refused', status: 400, reason: 'the body is not JSON' };
    }
    const ref = (body as { ref_id?: unknown } | null)?.ref_id;
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200) return { kind: 'refused', status: 400, reason: 'the body has no ref_id' };
    if (!verifyWebhook(given, this.config.merchant_id, this.config.secret_key, ref)) return { kind: 'refused', status: 401, reason: 'bad X-Apigames-Authorization' };
    if (this.config.webhook === 'check') return { kind: 'check', ref };
    const parsed = transactionSchema.safeParse(body);
    if (!parsed.success) return { kind: 'refused', status: 400, reason: 'not an APIGames transaction' };
    return { kind: 'outcome', ref, outcome: transactionOutcome(parsed.data, ref) };
  }

  /** Bulk Kiosgamer voucher redeem through this APIGames account (issue 9; see redeem.ts). */
  redeemEngine(): RedeemEngine {
    return new ApigamesRedeemEngine({ merchant_id: this.config.merchant_id, secret_key: this.config.secret_key }, this.#http);
  }

  #gameFor(sku: string): string | null {
    const s = sku.toLowerCase();
    return this.#games.find(([prefix]) => s.startsWith(prefix))?.[1] ?? null;
  }
}

export const apigamesFactory: ConnectorFactory<ApigamesConfig> = {
  kind: 'apigames',
  title: 'APIGames',
  configSchema: apigamesConfigSchema,
  secretKeys: ['secret_key'],
  callbacks: true,
  create: (config, ctx) => new ApigamesConnector(config, ctx),
};
