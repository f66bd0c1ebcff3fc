import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Deposits by bank transfer (issue 10): `deposit_tickets`, one row per "I want to deposit X".
 *
 * - `total` = `amount` + `unique_code` (1..999) is what the reseller transfers; the partial unique
 *   index on `total` among PENDING tickets is what makes a transfer on the bank statement name one
 *   ticket. Confirmed, cancelled and expired tickets leave the index, so totals are reused.
 * - The bank columns are a snapshot of the operator's account at request time: removing or
 *   changing the account later never changes where an open ticket told the reseller to pay.
 * - `method` + `external_ref` (unique; NULLs never collide) let a payment gateway confirm a
 *   ticket later with its own payment id, and the same bank or gateway payment never confirms two.
 * - `ledger_entry_id` is the credit; the ledger entry's reference is the ticket id (unique per
 *   reseller in the ledger), which is what makes confirming credit at most once.
 * - Keyset lists newest first: all tickets, one reseller's, one status's, each ending in
 *   (created_at, id) like the order lists (0004).
 */
export function deposits(dialect: Dialect) {
  void dialect;
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('deposit_tickets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reseller_id', 'text', (c) => c.notNull().references('resellers.id'))
        .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
        .addColumn('unique_code', 'integer', (c) => c.notNull().check(sql`unique_code between 1 and 999`))
        .addColumn('total', 'bigint', (c) => c.notNull().check(sql`total = amount + unique_code`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'confirmed', 'cancelled', 'expired')`))
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('bank_code', 'text')
        .addColumn('bank_name', 'text')
        .addColumn('bank_account_number', 'text')
        .addColumn('bank_account_holder', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('confirmed_by', 'text')
        .addColumn('cancelled_by', 'text')
        .addColumn('external_ref', 'text')
        .addColumn('ledger_entry_id', 'text')
        .addColumn('note', 'text')
        .execute();
      await db.schema
        .createIndex('deposit_tickets_pending_total_uq')
        .on('deposit_tickets')
        .column('total')
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema.createIndex('deposit_tickets_method_external_ref_uq').on('deposit_tickets').columns(['method', 'external_ref']).unique().execute();
      await db.schema.createIndex('deposit_tickets_created_idx').on('deposit_tickets').columns(['created_at desc', 'id desc']).execute();
      await db.schema.createIndex('deposit_tickets_reseller_created_idx').on('deposit_tickets').columns(['reseller_id', 'created_at desc', 'id desc']).execute();
      await db.schema.createIndex('deposit_tickets_status_created_idx').on('deposit_tickets').columns(['status', 'created_at desc', 'id desc']).execute();
    },
  };
}
