import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import { generateMerchantId } from '../../redeem/ids.js';
import type { Dialect } from '../index.js';

/**
 * Bulk voucher-redeem projects (issue 9, APIGames "kiosgamer" shape).
 *
 * - `resellers.merchant_id`: the APIGames-style merchant id a reseller's redeem calls carry in
 *   their path, generated once per reseller (existing resellers get theirs here). Unique.
 * - `redeem_projects`: one row per accepted project; `seq` is the numeric `id` the protocol shows,
 *   `project_id` its public name. The engine and fee are frozen at intake; the session key is
 *   kept only encrypted, and only until the project is final.
 * - `redeem_vouchers`: one row per distinct code of a project (UNIQUE project, code); `n` numbers
 *   them 1..total inside the project (UNIQUE project, n), so the unfiltered project-detail page
 *   is an index range `n between a and b`: constant work per page whatever the project's size.
 *   `(project, status, id)` serves filtered pages and the per-status counts, `(project, nominal)`
 *   the per-nominal counts, `(reseller, code, status)` the "already redeemed by this reseller"
 *   check, and `(status, next_at)` nothing at all: the worker reads a project's vouchers only.
 * - `redeem_batches`: one engine submission (a group of vouchers sent together), committed as
 *   `sending` before it is sent: the crash-safety record (see src/redeem/process.ts).
 */
export function redeem(dialect: Dialect) {
  const serial = (dialect === 'sqlite' ? 'integer' : 'bigserial') as 'integer';
  const serialPk = (c: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('resellers').addColumn('merchant_id', 'text').execute();
      const resellers = await db.selectFrom('resellers').select(['id', 'created_at']).execute();
      for (const r of resellers as { id: string; created_at: number }[]) {
        await db.updateTable('resellers').set({ merchant_id: generateMerchantId(Number(r.created_at)) }).where('id', '=', r.id).execute();
      }
      await db.schema.createIndex('resellers_merchant_id_uq').on('resellers').column('merchant_id').unique().execute();

      await db.schema
        .createTable('redeem_projects')
        .addColumn('seq', serial, serialPk)
        .addColumn('project_id', 'text', (c) => c.notNull().unique())
        .addColumn('reseller_id', 'text', (c) => c.notNull().references('resellers.id'))
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('fee', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`fee >= 0`))
        .addColumn('session_key_enc', 'text')
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('rounds', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('redeem_projects_reseller_idx').on('redeem_projects').columns(['reseller_id', 'seq desc']).execute();

      await db.schema
        .createTable('redeem_vouchers')
        .addColumn('id', serial, serialPk)
        .addColumn('project_seq', 'bigint', (c) => c.notNull().references('redeem_projects.seq'))
        .addColumn('reseller_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('nominal_gs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('batch_id', 'text')
        .addColumn('fee', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('fee_entry', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('redeem_vouchers_project_code_uq').on('redeem_vouchers').columns(['project_seq', 'code']).unique().execute();
      await db.schema.createIndex('redeem_vouchers_project_n_uq').on('redeem_vouchers').columns(['project_seq', 'n']).unique().execute();
      await db.schema.createIndex('redeem_vouchers_project_status_idx').on('redeem_vouchers').columns(['project_seq', 'status', 'id']).execute();
      await db.schema.createIndex('redeem_vouchers_project_nominal_idx').on('redeem_vouchers').columns(['project_seq', 'nominal_gs']).execute();
      await db.schema.createIndex('redeem_vouchers_reseller_code_idx').on('redeem_vouchers').columns(['reseller_id', 'code', 'status']).execute();
      await db.schema.createIndex('redeem_vouchers_batch_idx').on('redeem_vouchers').column('batch_id').execute();

      await db.schema
        .createTable('redeem_batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_seq', 'bigint', (c) => c.notNull())
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('engine_ref', 'text')
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('redeem_batches_project_state_idx').on('redeem_batches').columns(['project_seq', 'state']).execute();
    },
  };
}
