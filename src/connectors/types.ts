import type { z } from 'zod';
import type { Logger } from 'pino';

/**
 * The contract every supplier connector implements. Connectors are stateless translators between
 * kios and one supplier protocol: they never touch the database; the order pipeline owns
 * persistence and decides what an outcome means for money.
 *
 * Safety rules every connector follows:
 * - The kios order id is the supplier-side reference (`ref_id`), so a retried purchase can never
 *   buy twice at a supplier that deduplicates by reference.
 * - Only an explicit, documented failure is `failed`. Anything unsure (timeout, 5xx, unreadable
 *   reply, connection dropped after sending) is `pending`: the order is reconciled by status
 *   checks and never refunded on a guess.
 */

export interface PurchaseInput {
  /** kios order id: the reference the supplier deduplicates on. */
  orderId: string;
  sku: string;
  userId: string;
  serverId: string | null;
  /** What the reseller paid (integer rupiah), for suppliers that want a price cap. */
  price: number;
}

export interface StatusInput {
  orderId: string;
  sku: string;
  /** The supplier's own reference, when an earlier reply gave one. */
  supplierRef: string | null;
}

export interface AccountCheckInput {
  sku: string;
  userId: string;
  serverId: string | null;
}

export type SupplierOutcome =
  | { kind: 'success'; ref: string | null; sn?: string | null; voucher?: string | null; raw?: unknown }
  | { kind: 'partial'; ref: string | null; delivered: number; total: number; sn?: string | null; raw?: unknown }
  | { kind: 'failed'; reason: string; raw?: unknown }
  | { kind: 'pending'; ref?: string | null; reason?: string; raw?: unknown };

/** A status check may also learn that the supplier never received the order. */
export type StatusOutcome = SupplierOutcome | { kind: 'not_found'; raw?: unknown };

export type AccountCheck =
  | { kind: 'ok'; nickname: string }
  | { kind: 'invalid_user'; reason?: string }
  | { kind: 'not_found'; reason?: string }
  /** The check could not be made (supplier down): the order proceeds without a nickname. */
  | { kind: 'unavailable'; reason: string };

export interface SupplierConnector {
  readonly kind: string;
  checkAccount?(input: AccountCheckInput): Promise<AccountCheck>;
  purchase(input: PurchaseInput): Promise<SupplierOutcome>;
  status(input: StatusInput): Promise<StatusOutcome>;
  balance?(): Promise<number>;
  close?(): Promise<void>;
}

export interface ConnectorContext {
  supplierId: string;
  log: Logger;
  /** Upper bound for one call to the supplier. */
  timeoutMs: number;
  dataDir: string;
}

export interface ConnectorFactory<C = unknown> {
  readonly kind: string;
  /** Validates the operator's options when a supplier is added or loaded. */
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: ConnectorContext): SupplierConnector;
}
