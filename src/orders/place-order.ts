import type { Logger } from 'pino';
import type { CatalogService, OrderableProduct } from '../catalog/service.js';
import type { CallbackUrlPolicy } from '../callbacks/url-policy.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { AccountCheck } from '../connectors/types.js';
import type { Db } from '../db/index.js';
import { batchedRead, groupBy } from '../db/batched-read.js';
import { prepared } from '../db/prepared.js';
import type { Order, OrderChannel } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { KiosError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { placeholderRef } from '../domain/invoice-number.js';
import { plausibleKey, validateDestination, type OrderInput } from '../domain/order-input.js';
import { fillForm } from '../domain/input-form.js';
import { responseNote } from '../domain/response-note.js';
import type { JobSignal } from '../jobs/queue.js';
import { splitDestination } from '../otomax/destination.js';
import type { AuthenticatedReseller } from '../resellers/service.js';
import type { RateGate } from '../suppliers/rate-gate.js';
import { IntakeBatcher } from './intake-batch.js';

export interface PlaceOrderOptions {
  channel: OrderChannel;
  /** v1: a reused trx_id is DUPLICATE_TRX_ID. v2 / Otomax v3: it is a status check of that order. */
  onDuplicateTrx: 'reject' | 'return-existing';
  /** Otomax v2/v3: `userId` is the whole destination, split by the category's rule. */
  combinedDestination?: boolean;
}

export interface PlaceOrderResult {
  created: boolean;
  order: Order;
  /** The reseller's balance right after this order (or now, for an existing one). */
  balance: number;
}

/**
 * Where an order gets charged. Validate -> account check through the supplier -> one transaction
 * writing the invoice (PENDING), the conditional debit and the fulfilment job, shared with the
 * orders arriving meanwhile (intake-batch.ts) -> respond. A failed request leaves balances, orders
 * and jobs exactly as they were.
 */
export class OrderIntake {
  readonly #batcher: IntakeBatcher;
  /** An order by its reseller and trx_id: every order asks first, so the asks of a turn go together. */
  readonly #byTrx: (key: string) => Promise<Order | null>;
  /** An order by its invoice number, as resellers poll their orders' status. */
  readonly #byInvoice: (invoiceNumber: string) => Promise<Order | null>;

  constructor(
    private readonly d: {
      db: Db;
      catalog: CatalogService;
      connectors: ConnectorRegistry;
      gate: RateGate;
      callbackPolicy: CallbackUrlPolicy;
      signal: JobSignal;
      clock: Clock;
      invoicePrefix: string;
      log: Logger;
    },
  ) {
    this.#batcher = new IntakeBatcher(d);
    this.#byTrx = batchedRead(async (keys: string[]) => {
      const pairs = keys.map((k) => JSON.parse(k) as [string, string]);
      const rows =
        pairs.length === 1
          ? await orderByTrx.all(d.db.kysely, { resellerId: pairs[0]![0], trxId: pairs[0]![1] })
          : await d.db.kysely
              .selectFrom('orders')
              .selectAll()
              .where((eb) => eb.or([...groupBy(pairs, ([r]) => r)].map(([resellerId, ps]) => eb.and([eb('reseller_id', '=', resellerId), eb('trx_id', 'in', ps.map(([, t]) => t))]))))
              .execute();
      return new Map(rows.map((o) => [JSON.stringify([o.reseller_id, o.trx_id]), o]));
    }, null);
    this.#byInvoice = batchedRead(async (invoices: string[]) => {
      const rows = invoices.length === 1 ? await orderByInvoice.all(d.db.kysely, { invoiceNumber: invoices[0]! }) : await d.db.kysely.selectFrom('orders').selectAll().where('invoice_number', 'in', invoices).execute();
      return new Map(rows.map((o) => [o.invoice_number, o]));
    }, null);
  }

  async place(reseller: AuthenticatedReseller, input: OrderInput, opts: PlaceOrderOptions): Promise<PlaceOrderResult> {
    // A reused trx_id is answered before any other check or supplier call: it costs one read
    // (shared with the orders of the same turn).
    if (input.trxId !== null) {
      const existing = await this.findByTrx(reseller.id, input.trxId);
      if (existing) return this.#duplicate(existing, opts);
    }

    const product = await this.d.catalog.findForOrder(input.productCode, reseller.roleCode);
    if (!product || product.price === null) throw new KiosError('PRODUCT_NOT_FOUND');
    if (!product.active || !product.category.active) throw new KiosError('PRODUCT_INACTIVE');
    if (product.category.type === 'e-wallet') throw new KiosError('PAYMENT_METHOD_NOT_ALLOWED');
    if (!product.route) throw new KiosError('PRODUCT_INACTIVE', 'no supplier can fulfil this product right now');

    const { userId, serverId, inputs } = this.#destination(input, product, opts);
    const callbackUrl = input.callbackUrl === null ? null : (await this.d.callbackPolicy.validate(input.callbackUrl)).href;

    // Cheap early refusal from the balance read at authentication; the conditional debit below
    // is what actually guarantees the balance.
    const price = product.price;
    if (reseller.balance < price) throw new KiosError('INSUFFICIENT_BALANCE');

    const nickname = await this.#checkAccount(product, userId, serverId);
    return this.#commit(reseller, input, opts, product, { userId, serverId, inputs, nickname, callbackUrl, price });
  }

  async findByInvoice(resellerId: string, invoiceNumber: string): Promise<Order | null> {
    if (!plausibleKey(invoiceNumber)) return null;
    const order = await this.#byInvoice(invoiceNumber);
    // Another reseller's invoice is answered as one that does not exist.
    return order?.reseller_id === resellerId ? order : null;
  }

  async findByTrx(resellerId: string, trxId: string): Promise<Order | null> {
    if (!plausibleKey(trxId)) return null;
    return this.#byTrx(JSON.stringify([resellerId, trxId]));
  }

  async balanceOf(resellerId: string): Promise<number> {
    const row = await this.d.db.kysely.selectFrom('resellers').select('balance').where('id', '=', resellerId).executeTakeFirstOrThrow();
    return row.balance;
  }

  async #duplicate(existing: Order, opts: PlaceOrderOptions): Promise<PlaceOrderResult> {
    if (opts.onDuplicateTrx === 'reject') throw new KiosError('DUPLICATE_TRX_ID');
    return { created: false, order: existing, balance: await this.balanceOf(existing.reseller_id) };
  }

  /** The destination as the product's category and form want it; `inputs` is the filled form (JSON), when there is one. */
  #destination(input: OrderInput, product: OrderableProduct, opts: PlaceOrderOptions): { userId: string; serverId: string | null; inputs: string | null } {
    let dest: { userId: string; serverId: string | null };
    if (opts.combinedDestination) {
      const split = splitDestination(input.userId, product.category);
      if (!split) throw new KiosError('INVALID_USER_ID', 'the destination cannot be split into user id and server id');
      dest = validateDestination(split.userId, split.serverId);
    } else if (!product.category.needsServer) {
      dest = { userId: input.userId, serverId: null };
    } else {
      if (input.serverId === null) throw new KiosError('INVALID_USER_ID', 'server_id is required for this product');
      dest = { userId: input.userId, serverId: input.serverId };
    }
    if (!product.form) return { ...dest, inputs: null };
    const filled = fillForm(product.form, dest.userId, dest.serverId);
    return { userId: dest.userId, serverId: filled.serverId, inputs: JSON.stringify(filled.inputs) };
  }

  async #checkAccount(product: OrderableProduct, userId: string, serverId: string | null): Promise<string | null> {
    if (!product.category.checkAccount || !product.route) return null;
    let result: AccountCheck;
    try {
      const connector = await this.d.connectors.get(product.route.supplierId, product.route.supplierVersion);
      if (!connector.checkAccount) return null;
      // A reseller waits on this call: beyond the supplier's rate limit the check is skipped, not queued.
      if ((await this.d.gate.take(product.route.supplierId, connector.rateLimit)) !== null) {
        result = { kind: 'unavailable', reason: 'supplier rate limit reached' };
      } else {
        result = await connector.checkAccount({ sku: product.route.sku, userId, serverId }, { exchanges: [] });
      }
    } catch (err) {
      result = { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
    }
    switch (result.kind) {
      case 'ok':
        return result.nickname.slice(0, 100);
      case 'invalid_user':
        throw new KiosError('INVALID_USER_ID');
      case 'not_found':
        throw new KiosError('NICKNAME_NOT_FOUND');
      case 'unavailable':
        // Nothing is charged yet; the purchase itself will tell if the account is wrong.
        this.d.log.warn({ supplier: product.route.supplierId, reason: result.reason }, 'account check unavailable; order proceeds without nickname');
        return null;
    }
  }

  async #commit(
    reseller: AuthenticatedReseller,
    input: OrderInput,
    opts: PlaceOrderOptions,
    product: OrderableProduct,
    v: { userId: string; serverId: string | null; inputs: string | null; nickname: string | null; callbackUrl: string | null; price: number },
    retries = 0,
  ): Promise<PlaceOrderResult> {
    const now = this.d.clock();
    const id = newId('ord');
    const ref = placeholderRef(product.category.code, now);
    const order: Order = {
      id,
      reseller_id: reseller.id,
      invoice_number: '',
      trx_id: input.trxId,
      channel: opts.channel,
      product_id: product.id,
      product_code: product.code,
      product_name: product.name,
      category_code: product.category.code,
      category_title: product.category.title,
      category_subtitle: product.category.subtitle,
      category_type: product.category.type,
      user_id: v.userId,
      server_id: v.serverId,
      inputs: v.inputs,
      nickname: v.nickname,
      price: v.price,
      amount: v.price,
      status: 'PENDING',
      ref,
      response_note: responseNote({ nickname: v.nickname, userId: v.userId, serverId: v.serverId, ref }),
      sn: null,
      voucher: null,
      failure_reason: null,
      refunded_amount: 0,
      callback_url: v.callbackUrl,
      created_at: now,
      updated_at: now,
      completed_at: null,
    };
    const outcome = await this.#batcher.submit(order);
    switch (outcome.kind) {
      case 'placed':
        return { created: true, order, balance: outcome.balance };
      case 'insufficient':
        throw new KiosError('INSUFFICIENT_BALANCE');
      case 'duplicate_trx': {
        // Lost a race with a concurrent request carrying the same trx_id: that one won.
        const existing = await this.findByTrx(reseller.id, input.trxId!);
        if (existing) return this.#duplicate(existing, opts);
        // ... unless the balance did not cover the winner, in the same batch: this one goes next
        // (and after three such rounds, each lost to an order the balance refused, it is refused too).
        if (retries >= 3) throw new KiosError('INSUFFICIENT_BALANCE');
        return this.#commit(reseller, input, opts, product, v, retries + 1);
      }
    }
  }
}

const orderByInvoice = prepared((q, a: { invoiceNumber: string }) => q.selectFrom('orders').selectAll().where('invoice_number', '=', a.invoiceNumber));
const orderByTrx = prepared((q, a: { resellerId: string; trxId: string }) => q.selectFrom('orders').selectAll().where('reseller_id', '=', a.resellerId).where('trx_id', '=', a.trxId));
