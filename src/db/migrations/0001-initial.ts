import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * The initial schema, portable across SQLite and PostgreSQL. Invariants the database itself
 * enforces, so no code path can break them:
 * - a balance is never negative (CHECK);
 * - an order has at most one debit and at most one refund (UNIQUE order_id, order_leg);
 * - a trx_id is used once per reseller (UNIQUE reseller_id, trx_id);
 * - one fulfilment job per order, one callback job per order event (UNIQUE dedupe_key).
 */
export function initial(dialect: Dialect) {
  const serial = (dialect === 'sqlite' ? 'integer' : 'bigserial') as 'integer';
  const serialPk = (c: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('roles')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('resellers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('phone', 'text')
        .addColumn('role_code', 'text', (c) => c.notNull().references('roles.code'))
        .addColumn('api_key_digest', 'text', (c) => c.notNull().unique())
        .addColumn('api_key_enc', 'text', (c) => c.notNull())
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`balance >= 0`))
        .addColumn('ip_whitelist', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('webhook_url', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ledger_entries')
        .addColumn('seq', serial, serialPk)
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('reseller_id', 'text', (c) => c.notNull().references('resellers.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('balance_after', 'bigint', (c) => c.notNull().check(sql`balance_after >= 0`))
        .addColumn('order_id', 'text')
        .addColumn('order_leg', 'text')
        .addColumn('reference', 'text')
        .addColumn('note', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ledger_order_leg_uq').on('ledger_entries').columns(['order_id', 'order_leg']).unique().execute();
      await db.schema.createIndex('ledger_reseller_reference_uq').on('ledger_entries').columns(['reseller_id', 'reference']).unique().execute();
      await db.schema.createIndex('ledger_reseller_seq_idx').on('ledger_entries').columns(['reseller_id', 'seq']).execute();

      await db.schema
        .createTable('categories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('subtitle', 'text')
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('photo', 'text')
        .addColumn('banner', 'text')
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('is_server', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_popular', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_hotsale', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('destination_split', 'text')
        .addColumn('check_account', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('products')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('logo', 'text')
        .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('products_category_idx').on('products').column('category_id').execute();

      await db.schema
        .createTable('product_prices')
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('role_code', 'text', (c) => c.notNull().references('roles.code'))
        .addColumn('price', 'bigint', (c) => c.notNull().check(sql`price >= 0`))
        .addPrimaryKeyConstraint('product_prices_pk', ['product_id', 'role_code'])
        .execute();

      await db.schema
        .createTable('suppliers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('config_enc', 'text')
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('product_routes')
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
        .addColumn('sku', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('product_routes_pk', ['product_id', 'priority'])
        .execute();

      await db.schema
        .createTable('orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reseller_id', 'text', (c) => c.notNull().references('resellers.id'))
        .addColumn('invoice_number', 'text', (c) => c.notNull())
        .addColumn('trx_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('product_id', 'text', (c) => c.notNull())
        .addColumn('product_code', 'text', (c) => c.notNull())
        .addColumn('product_name', 'text', (c) => c.notNull())
        .addColumn('category_code', 'text', (c) => c.notNull())
        .addColumn('category_title', 'text', (c) => c.notNull())
        .addColumn('category_subtitle', 'text')
        .addColumn('category_type', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text')
        .addColumn('nickname', 'text')
        .addColumn('price', 'bigint', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('response_note', 'text', (c) => c.notNull())
        .addColumn('sn', 'text')
        .addColumn('voucher', 'text')
        .addColumn('failure_reason', 'text')
        .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('supplier_id', 'text')
        .addColumn('supplier_sku', 'text')
        .addColumn('supplier_ref', 'text')
        .addColumn('supplier_state', 'text', (c) => c.notNull().defaultTo('new'))
        .addColumn('callback_url', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('orders_invoice_number_uq').on('orders').column('invoice_number').unique().execute();
      await db.schema.createIndex('orders_reseller_trx_id_uq').on('orders').columns(['reseller_id', 'trx_id']).unique().execute();
      await db.schema.createIndex('orders_reseller_created_idx').on('orders').columns(['reseller_id', 'created_at']).execute();
      await db.schema.createIndex('orders_status_idx').on('orders').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_dedupe_key_uq').on('jobs').column('dedupe_key').unique().execute();
      // Partial index: the claim query only ever looks at queued jobs, which stay few.
      await db.schema
        .createIndex('jobs_queued_run_at_idx')
        .on('jobs')
        .column('run_at')
        .where(sql.ref('status'), '=', 'queued')
        .execute();
      await db.schema.createIndex('jobs_order_idx').on('jobs').column('order_id').execute();

      await db.schema
        .createTable('callback_attempts')
        .addColumn('seq', serial, serialPk)
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('response_code', 'integer')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('callback_attempts_job_idx').on('callback_attempts').column('job_id').execute();

      await db.schema
        .createTable('order_events')
        .addColumn('seq', serial, serialPk)
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('order_events_order_idx').on('order_events').column('order_id').execute();
    },
  };
}
