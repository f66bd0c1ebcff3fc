import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { FormInput, InputForm } from '../domain/input-form.js';
import type { RedeemEngine } from '../redeem/engine.js';

/**
 * The contract every supplier connector implements. Connectors are stateless translators between
 * kios and one supplier protocol: they never touch the database; the order pipeline owns
 * persistence and decides what an outcome means for money.
 *
 * Safety rules every connector follows:
 * - The attempt reference (`ref`, `<order id>-<n>`) is the supplier-side reference (`trx_id`,
 *   `ref_id`, ...), so a retried purchase can never buy twice at a supplier that deduplicates
 *   by reference, and two attempts of one order never collide.
 * - Only an explicit, documented refusal that proves nothing was bought is `failed`. Anything
 *   unsure (timeout, 5xx, 429, unreadable reply, an unknown code, a reply about another
 *   reference) is `pending`: the attempt is reconciled by status checks and callbacks, and the
 *   order is never refunded nor sent to another supplier on a guess.
 * - `parseCallback` verifies the supplier's signature over the raw body before reading anything
 *   else, and never reports a final outcome the callback does not state explicitly.
 * - Secrets (the `secretKeys` of the configuration) never appear in logs, errors or recorded
 *   exchanges: the shared HTTP kit masks them.
 */

export interface PurchaseInput {
  /** The attempt reference, `<order id>-<n>`: what the supplier deduplicates on. */
  ref: string;
  sku: string;
  userId: string;
  serverId: string | null;
  /**
   * The buyer's inputs, validated against the product's input form, in the form's order
   * (`[{key:'user_id',value}, {key:'server_id',value}]` when the product has no form).
   */
  inputs: FormInput[];
  /** What the reseller paid (integer rupiah): a price cap for suppliers that take one. */
  price: number;
  /** The route's cost price, when the operator gave one. */
  cost: number | null;
}

/** A status check knows the whole purchase: some suppliers (Digiflazz) check by re-sending it. */
export interface StatusInput extends PurchaseInput {
  /** The supplier's own reference, when an earlier answer gave one. */
  supplierRef: string | null;
}

export interface AccountCheckInput {
  sku: string;
  userId: string;
  serverId: string | null;
}

/**
 * Why a supplier refused, which decides what the order does next:
 * - `route`: this supplier cannot deliver it now (out of stock, product off, its balance):
 *   the next route is tried;
 * - `account`: kios's account at the supplier is misconfigured (key, signature, IP whitelist):
 *   the operator is alerted and the next route is tried;
 * - `destination`: the destination itself is wrong (unknown user id, blocked number): no other
 *   route can do better, so the order fails at once.
 */
export type FailureScope = 'route' | 'account' | 'destination';

export type SupplierOutcome =
  | { kind: 'success'; supplierRef: string | null; sn?: string | null; voucher?: string | null }
  | { kind: 'partial'; supplierRef: string | null; delivered: number; total: number; sn?: string | null }
  | { kind: 'failed'; reason: string; code?: string; scope?: FailureScope }
  /**
   * Not decided yet. `ambiguous` when the answer does not even prove that the supplier holds the
   * purchase (no answer, 5xx, 429, an unreadable reply, a reply about another reference): the
   * attempt stays unconfirmed, and a later status check that finds nothing may re-send it.
   * `alert` when the supplier needs the operator (APIGames "Validasi Provider"): logged and sent
   * to the operator's alert webhook.
   */
  | { kind: 'pending'; supplierRef?: string | null; reason?: string; ambiguous?: boolean; alert?: string }
  /** The supplier reversed the transaction (nothing delivered, its price returned to kios). */
  | { kind: 'reversed'; reason: string };

/** A status check may also learn that the supplier never received the purchase. */
export type StatusOutcome = SupplierOutcome | { kind: 'not_found' };

export type AccountCheck =
  | { kind: 'ok'; nickname: string }
  | { kind: 'invalid_user'; reason?: string }
  | { kind: 'not_found'; reason?: string }
  /** The check could not be made (supplier down): the order proceeds without a nickname. */
  | { kind: 'unavailable'; reason: string };

/** One HTTP exchange with a supplier, secrets masked: what `kios order show` lists per attempt. */
export interface Exchange {
  method: string;
  url: string;
  request?: string;
  status?: number;
  response?: string;
  error?: string;
  ms: number;
}

/** Per call: where the exchanges of that call are recorded. */
export interface CallContext {
  exchanges: Exchange[];
  /**
   * Awaited before each request of a call that makes many (a catalog pull): it waits for a free
   * slot of the account's rate limit, shared with purchases, so a sync never exceeds it.
   */
  pace?: () => Promise<void>;
}

/** A supplier's callback as it arrived, before anything is trusted. */
export interface InboundRequest {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received: signatures are computed over it. */
  rawBody: string;
  query: Record<string, string>;
  ip: string;
}

export type CallbackVerdict =
  /** A verified callback about one of our references. */
  | { kind: 'outcome'; ref: string; outcome: SupplierOutcome }
  /** Verified, but carries no transaction outcome (a ping, a test event). */
  | { kind: 'ack'; note: string }
  /**
   * Cannot be verified (the supplier does not sign its callbacks) but names one of our
   * references: kios trusts nothing in it and checks that attempt's status with the supplier now.
   */
  | { kind: 'check'; ref: string }
  /** Not verified or not readable: answered with `status` and changes nothing. */
  | { kind: 'refused'; status: 400 | 401 | 403; reason: string };

/** What a supplier sells, for catalog synchronisation. */
export interface SupplierProduct {
  /** What a route to this product stores and the connector buys by. */
  sku: string;
  name: string;
  /** The supplier's price to kios (integer rupiah). */
  cost: number;
  active: boolean;
  /** The supplier's game / brand (Mobile Legends): one kios category per brand. */
  brand: string;
  /** The supplier's own grouping above brands (Games, Voucher), when it has one. */
  category?: string | null;
  /** The inputs a buyer must give, when the supplier publishes them (VCGamers brand forms). */
  form?: InputForm | null;
  /** Whether the brand needs a server id, from suppliers that say so without a form (Kiosgame `is_server`). */
  needsServer?: boolean;
}

/** At most `requests` calls per `perMs` to one supplier account. */
export interface RateLimit {
  requests: number;
  perMs: number;
}

export interface SupplierConnector {
  readonly kind: string;
  /** Declared limit of this account; the worker defers calls beyond it (queues, never drops). */
  readonly rateLimit: RateLimit | null;
  checkAccount?(input: AccountCheckInput, call: CallContext): Promise<AccountCheck>;
  purchase(input: PurchaseInput, call: CallContext): Promise<SupplierOutcome>;
  status(input: StatusInput, call: CallContext): Promise<StatusOutcome>;
  balance?(call: CallContext): Promise<number>;
  /** Synchronous and free of I/O: verifying a signature needs only the configuration. */
  parseCallback?(req: InboundRequest): CallbackVerdict;
  /** The supplier's whole catalog, streamed (a sync shows progress as it arrives). */
  catalog?(call: CallContext): AsyncIterable<SupplierProduct>;
  /** A voucher-redeem engine on this account (src/redeem/engine.ts), for kinds that offer one (APIGames). */
  redeemEngine?(): RedeemEngine;
  close?(): Promise<void>;
}

export interface ConnectorContext {
  supplierId: string;
  log: Logger;
  /** Upper bound for one call to the supplier. */
  timeoutMs: number;
  dataDir: string;
  /** Where this supplier should send its callbacks, when kios knows its public address. */
  callbackUrl: string | null;
  /** Outbound HTTP pool shared by every connector. */
  dispatcher: Dispatcher;
}

export interface ConnectorFactory<C = unknown> {
  readonly kind: string;
  /** For people: "Digiflazz", "Kiosgame / Toss Games / TopupKuy". */
  readonly title: string;
  /** Validates the operator's options when a supplier is added or loaded. */
  readonly configSchema: z.ZodType<C>;
  /** Configuration keys holding credentials: never shown, logged or recorded. */
  readonly secretKeys: readonly string[];
  /** Whether this kind reports outcomes by callback (`parseCallback`), so it has a callback URL to register. */
  readonly callbacks: boolean;
  create(config: C, ctx: ConnectorContext): SupplierConnector;
}
