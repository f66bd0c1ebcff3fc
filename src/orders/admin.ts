import type { Db } from '../db/index.js';
import type { Transaction } from 'kysely';
import { decodeCursor, encodeCursor } from '../db/keyset.js';
import type { Database, Order } from '../db/schema.js';
import { isOrderStatus } from '../domain/order-status.js';
import { OperatorError } from '../resellers/service.js';
import type { Finalisation, OrderTransitions } from './transitions.js';

/** Runs in the transaction of an operator's change, with the order before and after it (an audit record). */
export type Within = (trx: Transaction<Database>, before: Order, after: Order) => Promise<void>;

export interface OrderFilter {
  invoiceNumber?: string;
  trxId?: string;
  /** The destination: the order's user id, exactly. */
  userId?: string;
  resellerId?: string;
  status?: string;
  /** Created at or after (epoch ms). */
  from?: number;
  /** Created before (epoch ms). */
  to?: number;
  limit?: number;
  cursor?: string;
}

export interface OrderPage {
  orders: Order[];
  /** Pass to `list` for the page after this one; null when this is the last. */
  nextCursor: string | null;
}

/**
 * What the operator can do to orders (CLI `kios order ...`): look them up across resellers,
 * reverse a delivered order (SUCCESS -> REFUNDED, e.g. the supplier reversed it), and settle an
 * order left PENDING once the operator has checked with the supplier. Every change goes through
 * OrderTransitions, so money, status and callback move together exactly as for supplier outcomes.
 */
export class OrderAdmin {
  constructor(private readonly d: { db: Db; transitions: OrderTransitions }) {}

  async get(invoiceNumber: string): Promise<Order> {
    const o = await this.d.db.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', invoiceNumber).executeTakeFirst();
    if (!o) throw new OperatorError(`no order with invoice number ${invoiceNumber}`, 'not_found');
    return o;
  }

  /**
   * One page of orders, newest first (ties by id, so the order is total), with the cursor of the
   * next page (null on the last). Pages are keyset, not offset: each filter reads an index in list
   * order (migrations 0004 and 0009), so any page costs the same however deep and however many
   * orders there are, and orders placed meanwhile never shift a later page. A date range
   * (`from` inclusive, `to` exclusive, epoch ms) narrows the same index. (Several filters
   * together read one of those indexes and pass over the others' misses.)
   */
  async list(f: OrderFilter = {}): Promise<OrderPage> {
    if (f.status !== undefined && !isOrderStatus(f.status)) throw new OperatorError(`unknown status ${f.status}`);
    const after = f.cursor === undefined ? null : decodeCursor(f.cursor);
    if (f.cursor !== undefined && !after) throw new OperatorError(`not a cursor from an order list: ${f.cursor}`);
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 10_000);
    // One row past the page says whether there is a next page, without counting.
    let q = this.d.db.kysely.selectFrom('orders').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (f.invoiceNumber) q = q.where('invoice_number', '=', f.invoiceNumber);
    if (f.trxId) q = q.where('trx_id', '=', f.trxId);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.resellerId) q = q.where('reseller_id', '=', f.resellerId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('created_at', '<', f.to);
    if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await q.execute();
    const orders = rows.slice(0, limit);
    return { orders, nextCursor: rows.length > limit ? encodeCursor(orders[orders.length - 1]!) : null };
  }

  async events(orderId: string) {
    return this.d.db.kysely.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
  }

  /** SUCCESS -> REFUNDED: the full amount goes back to the reseller, who gets a callback. */
  async refund(invoiceNumber: string, reason: string, within?: Within): Promise<Order> {
    return this.#settle(invoiceNumber, within, (o) => {
      if (o.status !== 'SUCCESS') throw new OperatorError(`only a SUCCESS order can be refunded; ${invoiceNumber} is ${o.status}`, 'conflict');
      return { status: 'REFUNDED', reason: reason || 'Refunded by operator' };
    });
  }

  /**
   * Settles a PENDING order by hand, after the operator confirmed the outcome with the supplier.
   * `partial` (a supplier delivered part of it, e.g. APIGames "Sukses Sebagian") refunds
   * `refund` rupiah, more than nothing and less than the whole amount.
   */
  async resolve(invoiceNumber: string, outcome: 'success' | 'failed' | 'partial', reason: string, refund?: number, within?: Within): Promise<Order> {
    return this.#settle(invoiceNumber, within, (o): Finalisation => {
      if (o.status !== 'PENDING') throw new OperatorError(`only a PENDING order can be resolved; ${invoiceNumber} is ${o.status}`, 'conflict');
      if (outcome === 'partial' && (refund === undefined || !Number.isSafeInteger(refund) || refund <= 0 || refund >= o.amount)) {
        throw new OperatorError(`a partial resolution refunds between 1 and ${o.amount - 1} rupiah (the order's amount is ${o.amount}): give --refund`);
      }
      return outcome === 'success'
        ? { status: 'SUCCESS', supplierRef: null, sn: null, voucher: null }
        : outcome === 'partial'
          ? { status: 'PARTIAL_SUCCESS', supplierRef: null, sn: null, refund: refund!, reason: reason || 'Terkirim sebagian (resolved by operator)' }
          : { status: 'FAILED', reason: reason || 'Failed (resolved by operator)' };
    });
  }

  /**
   * Reads the order inside the transaction that changes it, so the status check, the change and
   * the caller's record of it (`within`: the dashboard's audit row) commit together or not at all.
   * Of two operators clicking at once, the second finds the order already moved: a conflict,
   * nothing changed.
   */
  async #settle(invoiceNumber: string, within: Within | undefined, decide: (o: Order) => Finalisation): Promise<Order> {
    const r = await this.d.db.transaction(async (trx) => {
      let read = trx.selectFrom('orders').selectAll().where('invoice_number', '=', invoiceNumber);
      if (this.d.db.rowLocks) read = read.forUpdate();
      const o = await read.executeTakeFirst();
      if (!o) throw new OperatorError(`no order with invoice number ${invoiceNumber}`, 'not_found');
      const done = await this.d.transitions.finaliseIn(trx, o.id, decide(o), 'operator', o);
      if (!done) throw new OperatorError(`${invoiceNumber} changed meanwhile; look again`, 'conflict');
      await within?.(trx, o, done.order);
      return done;
    });
    if (r.callbackQueued) this.d.transitions.notify();
    return r.order;
  }
}
