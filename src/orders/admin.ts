import type { Db } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { isOrderStatus } from '../domain/order-status.js';
import { OperatorError } from '../resellers/service.js';
import type { OrderTransitions } from './transitions.js';

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
    if (!o) throw new OperatorError(`no order with invoice number ${invoiceNumber}`);
    return o;
  }

  async list(f: { resellerId?: string; status?: string; limit?: number } = {}): Promise<Order[]> {
    if (f.status !== undefined && !isOrderStatus(f.status)) throw new OperatorError(`unknown status ${f.status}`);
    let q = this.d.db.kysely.selectFrom('orders').selectAll().orderBy('created_at', 'desc').limit(Math.min(Math.max(f.limit ?? 50, 1), 10_000));
    if (f.resellerId) q = q.where('reseller_id', '=', f.resellerId);
    if (f.status) q = q.where('status', '=', f.status);
    return q.execute();
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
