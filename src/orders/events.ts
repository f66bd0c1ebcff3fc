import type { Queryable } from '../db/index.js';

/** An order's audit trail (creation, supplier answers, status changes), written beside the change. */
export async function recordEvent(trx: Queryable, orderId: string, type: string, at: number, data?: unknown): Promise<void> {
  await trx
    .insertInto('order_events')
    .values({ order_id: orderId, at, type, data: data === undefined ? null : JSON.stringify(data).slice(0, 4000) })
    .execute();
}
