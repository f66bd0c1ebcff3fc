import type { Db } from '../db/index.js';
import { decodeCursor, encodeCursor } from '../db/keyset.js';
import type { Order } from '../db/schema.js';
import { isOrderStatus } from '../domain/order-status.js';
import { OperatorError } from '../resellers/service.js';
import type { OrderTransitions } from './transitions.js';

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
   * order (migration 0004), so any page costs the same however deep and however many orders
   * there are, and orders placed meanwhile never shift a later page. (Reseller and status
   * together read one of those indexes and pass over the other filter's misses.)
   */
  async list(f: { resellerId?: string; status?: string; limit?: number; cursor?: string } = {}): Promise<OrderPage> {
    if (f.status !== undefined && !isOrderStatus(f.status)) throw new OperatorError(`unknown status ${f.status}`);
    const after = f.cursor === undefined ? null : decodeCursor(f.cursor);
    if (f.cursor !== undefined && !after) throw new OperatorError(`not a cursor from an order list: ${f.cursor}`);
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 10_000);
    // One row past the page says whether there is a next page, without counting.
    let q = this.d.db.kysely.selectFrom('orders').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (f.resellerId) q = q.where('reseller_id', '=', f.resellerId);
    if (f.status) q = q.where('status', '=', f.status);
    if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await q.execute();
    const orders = rows.slice(0, limit);
    return { orders, nextCursor: rows.length > limit ? encodeCursor(orders[orders.length - 1]!) : null };
  }

  async events(orderId: string) {
    return this.d.db.kysely.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
  }

  /** SUCCESS -> REFUNDED: the full amount goes back to the reseller, who gets a callback. */
  async refund(invoiceNumber: string, reason: string): Promise<Order> {
    const o = await this.get(invoiceNumber);
    if (o.status !== 'SUCCESS') throw new OperatorError(`only a SUCCESS order can be refunded; ${invoiceNumber} is ${o.status}`);
    const done = await this.d.transitions.finalise(o.id, { status: 'REFUNDED', reason: reason || 'Refunded by operator' }, 'operator');
    if (!done) throw new OperatorError(`${invoiceNumber} changed while refunding; look again`);
    return done;
  }

  /**
   * Settles a PENDING order by hand, after the operator confirmed the outcome with the supplier.
   * `partial` (a supplier delivered part of it, e.g. APIGames "Sukses Sebagian") refunds
   * `refund` rupiah, more than nothing and less than the whole amount.
   */
  async resolve(invoiceNumber: string, outcome: 'success' | 'failed' | 'partial', reason: string, refund?: number): Promise<Order> {
    const o = await this.get(invoiceNumber);
    if (o.status !== 'PENDING') throw new OperatorError(`only a PENDING order can be resolved; ${invoiceNumber} is ${o.status}`);
    if (outcome === 'partial' && (refund === undefined || !Number.isSafeInteger(refund) || refund <= 0 || refund >= o.amount)) {
      throw new OperatorError(`a partial resolution refunds between 1 and ${o.amount - 1} rupiah (the order's amount is ${o.amount}): give --refund`);
    }
    const done =
      outcome === 'success'
        ? await this.d.transitions.finalise(o.id, { status: 'SUCCESS', supplierRef: null, sn: null, voucher: null }, 'operator')
        : outcome === 'partial'
          ? await this.d.transitions.finalise(o.id, { status: 'PARTIAL_SUCCESS', supplierRef: null, sn: null, refund: refund!, reason: reason || 'Terkirim sebagian (resolved by operator)' }, 'operator')
          : await this.d.transitions.finalise(o.id, { status: 'FAILED', reason: reason || 'Failed (resolved by operator)' }, 'operator');
    if (!done) throw new OperatorError(`${invoiceNumber} changed while resolving; look again`);
    return done;
  }
}
