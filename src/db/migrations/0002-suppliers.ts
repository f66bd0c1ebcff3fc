import { sql, type Kysely } from 'kysely';
import { newId } from '../../domain/ids.js';
import type { Dialect } from '../index.js';

/**
 * Real suppliers: routes with cost and an on/off switch, one row per purchase attempt, a call
 * log for supplier rate limits, and job wake-ups.
 *
 * - `product_routes` gets its own id (a route is product + supplier account + SKU, unique) so
 *   priorities can be renumbered freely; `cost` is the supplier's price, for margins.
 * - `order_attempts` replaces the supplier columns of `orders`: an order is bought through one
 *   or more attempts, each with its own supplier-side reference (UNIQUE per supplier account),
 *   so failover never reuses a reference and a callback finds its attempt by (supplier, ref).
 *   Orders already sent keep the reference they were sent under (their order id).
 * - `jobs.wakeups` counts wake-ups (a supplier callback arriving): a worker finishing a run of
 *   that job sees the count changed and runs it again at once instead of at its back-off time.
 */
export function suppliers(dialect: Dialect) {
  const serial = (dialect === 'sqlite' ? 'integer' : 'bigserial') as 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('product_routes_v2')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('cost', 'bigint', (c) => c.check(sql`cost >= 0`))
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      const now = Date.now();
      const old = await db.selectFrom('product_routes').selectAll().orderBy('product_id').orderBy('priority').execute();
      for (const r of old as { product_id: string; priority: number; supplier_id: string; sku: string }[]) {
        await db
          .insertInto('product_routes_v2')
          .values({ id: newId('rt'), product_id: r.product_id, supplier_id: r.supplier_id, sku: r.sku, cost: null, priority: r.priority, is_active: 1, created_at: now, updated_at: now })
          .execute();
      }
      await db.schema.dropTable('product_routes').execute();
      await db.schema.alterTable('product_routes_v2').renameTo('product_routes').execute();
      await db.schema.createIndex('product_routes_uq').on('product_routes').columns(['product_id', 'supplier_id', 'sku']).unique().execute();
      await db.schema.createIndex('product_routes_priority_idx').on('product_routes').columns(['product_id', 'priority']).execute();
      await db.schema.createIndex('product_routes_supplier_idx').on('product_routes').column('supplier_id').execute();

      await db.schema
        .createTable('order_attempts')
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('supplier_id', 'text', (c) => c.notNull())
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('cost', 'bigint')
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('supplier_ref', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('request', 'text')
        .addColumn('response', 'text')
        .addColumn('checks', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('answered_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('duration_ms', 'integer')
        .addPrimaryKeyConstraint('order_attempts_pk', ['order_id', 'n'])
        .execute();
      await db.schema.createIndex('order_attempts_supplier_ref_uq').on('order_attempts').columns(['supplier_id', 'ref']).unique().execute();

      await sql`
        insert into order_attempts (order_id, n, supplier_id, sku, cost, ref, supplier_ref, state, reason, checks, started_at, finished_at)
        select id, 1, supplier_id, supplier_sku, null, id, supplier_ref,
               case when status = 'PENDING' then supplier_state
                    when status = 'PARTIAL_SUCCESS' then 'partial'
                    when status = 'FAILED' then 'failed'
                    else 'success' end,
               case when status = 'FAILED' then failure_reason else null end,
               0, created_at, completed_at
          from orders
         where supplier_id is not null and supplier_sku is not null and supplier_state <> 'new'`.execute(db);
      // One column per statement: SQLite drops columns one at a time.
      for (const column of ['supplier_state', 'supplier_ref', 'supplier_sku', 'supplier_id']) {
        await db.schema.alterTable('orders').dropColumn(column).execute();
      }

      await db.schema
        .createTable('supplier_calls')
        .addColumn('seq', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('supplier_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('supplier_calls_supplier_at_idx').on('supplier_calls').columns(['supplier_id', 'at']).execute();

      await db.schema.alterTable('jobs').addColumn('wakeups', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  };
}
