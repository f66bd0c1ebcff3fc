import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Catalog sync, markup rules and input forms.
 *
 * - `categories.form` / `products.form`: the inputs a buyer gives (JSON, see domain/input-form);
 *   a product's own form wins over its category's. `orders.inputs` keeps the form as filled at
 *   intake, so a form changed later never changes what an accepted order sends.
 * - `order_attempts.scope`: why an attempt was refused (route / account / destination); an
 *   account fault with no other route left keeps the order waiting for the operator.
 * - `supplier_products`: the last catalog seen per supplier account, and which kios product each
 *   supplier product is mapped to (`product_id`), so a later sync updates instead of creating.
 *   `supplier_brands` maps a supplier's brand to the kios category its products go into.
 * - `price_rules`: markup per tier, for every product, a category or one product; `scope_key`
 *   makes "one rule per tier and scope" a plain unique index on both dialects.
 * - `supplier_balances`: the last balance read per supplier account (and when the operator was
 *   last warned), apart from `suppliers` so reading a balance never invalidates connectors.
 * - `leases`: one holder at a time across processes for periodic work (catalog sync, balances).
 */
export function catalogSync(dialect: Dialect) {
  void dialect;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('categories').addColumn('form', 'text').execute();
      await db.schema.alterTable('products').addColumn('form', 'text').execute();
      await db.schema.alterTable('orders').addColumn('inputs', 'text').execute();
      await db.schema.alterTable('order_attempts').addColumn('scope', 'text').execute();

      await db.schema
        .createTable('supplier_brands')
        .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
        .addColumn('brand', 'text', (c) => c.notNull())
        .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
        .addColumn('form', 'text')
        .addPrimaryKeyConstraint('supplier_brands_pk', ['supplier_id', 'brand'])
        .execute();

      await db.schema
        .createTable('supplier_products')
        .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('brand', 'text', (c) => c.notNull())
        .addColumn('category', 'text')
        .addColumn('cost', 'bigint', (c) => c.notNull())
        .addColumn('is_active', 'integer', (c) => c.notNull())
        .addColumn('product_id', 'text', (c) => c.references('products.id'))
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('supplier_products_pk', ['supplier_id', 'sku'])
        .execute();
      await db.schema.createIndex('supplier_products_product_idx').on('supplier_products').column('product_id').execute();

      await db.schema
        .createTable('price_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('role_code', 'text', (c) => c.notNull().references('roles.code'))
        .addColumn('category_id', 'text', (c) => c.references('categories.id'))
        .addColumn('product_id', 'text', (c) => c.references('products.id'))
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('percent_bp', 'integer', (c) => c.notNull())
        .addColumn('fixed', 'bigint', (c) => c.notNull())
        .addColumn('round_step', 'bigint', (c) => c.notNull().check(sql`round_step >= 1`))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('price_rules_scope_uq').on('price_rules').columns(['role_code', 'scope_key']).unique().execute();

      await db.schema
        .createTable('supplier_balances')
        .addColumn('supplier_id', 'text', (c) => c.primaryKey().references('suppliers.id'))
        .addColumn('balance', 'bigint')
        .addColumn('error', 'text')
        .addColumn('checked_at', 'bigint', (c) => c.notNull())
        .addColumn('alerted_at', 'bigint')
        .execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .execute();

    },
  };
}
