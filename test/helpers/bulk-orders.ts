import type { Kysely } from 'kysely';
import type { Database, Order } from '../../src/db/schema.js';

/**
 * Order rows written straight into the table, many per statement: tens of thousands in a second,
 * where placing them through the API would take minutes. Only for reads (lists, plans); these
 * orders have no ledger entries, attempts or jobs unless a test adds them.
 */
export function orderRow(o: Pick<Order, 'id' | 'reseller_id' | 'status' | 'created_at'> & Partial<Order>): Order {
  return {
    invoice_number: `INV-${o.id}`,
    trx_id: null,
    channel: 'api',
    product_id: 'pd_bulk',
    product_code: 'FF70',
    product_name: 'Free Fire 70 Diamond',
    category_code: 'FF',
    category_title: 'Free Fire',
    category_subtitle: null,
    category_type: 'game',
    user_id: '123456789',
    server_id: null,
    inputs: null,
    nickname: null,
    price: 1_000,
    amount: 1_000,
    ref: '-',
    response_note: 'bulk',
    sn: null,
    voucher: null,
    failure_reason: null,
    refunded_amount: 0,
    callback_url: null,
    updated_at: o.created_at,
    completed_at: null,
    ...o,
  };
}

/** Inserts in chunks that stay under both dialects' limit on bound parameters per statement. */
export async function insertChunked<T extends keyof Database>(db: Kysely<Database>, table: T, rows: Record<string, unknown>[], chunk = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + chunk) as never)
      .execute();
  }
}
