import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the operator dashboard's searches (issue 10), each ending in (created_at, id) so a
 * search pages by keyset straight off its index like the lists of 0004:
 *
 * - orders by trx_id across resellers (the unique (reseller_id, trx_id) index needs the reseller);
 * - orders by destination (user_id): the customer's game id is what a complaint quotes;
 * - failing callbacks: a partial index over just the callback jobs whose last attempt failed
 *   (few), so listing and counting them never reads the millions of delivered ones. Its
 *   predicate is repeated with the same literals by `src/operations/failing-callbacks.ts`.
 *
 * The overview needs nothing new: each day is a range of `orders_created_idx`, pending orders a
 * range of `orders_status_created_id_idx`. Each order index costs intake one more index entry
 * per order; these two are the ones an operator's search cannot do without.
 */
export function operationsIndexes() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('orders_trx_id_created_idx').on('orders').columns(['trx_id', 'created_at desc', 'id desc']).execute();
      await db.schema.createIndex('orders_user_id_created_idx').on('orders').columns(['user_id', 'created_at desc', 'id desc']).execute();
      await sql`create index jobs_failing_callbacks_idx on jobs (updated_at desc, id desc) where kind = 'callback' and status <> 'done' and last_error is not null`.execute(db);
    },
  };
}
