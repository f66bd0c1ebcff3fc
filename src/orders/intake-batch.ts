import { groupBy } from '../db/batched-read.js';
import type { Db, Queryable } from '../db/index.js';
import { preparedRows } from '../db/prepared.js';
import type { Order } from '../db/schema.js';
import { invoiceNumber } from '../domain/invoice-number.js';
import { enqueueMany, type JobSignal } from '../jobs/queue.js';
import { debitOrders } from '../ledger/ledger.js';
import { recordEvents } from './events.js';

/**
 * Group commit of order intake. Orders that arrive while an intake transaction is in flight wait
 * for it, then go together in the next one: a few multi-row statements and one debit per
 * reseller instead of a transaction of five statements per order. A burst from one reseller,
 * which on PostgreSQL used to queue order by order on that reseller's balance row, now takes the
 * row once per batch.
 *
 * Every guarantee of one transaction per order holds:
 * - an order is answered only after the commit that holds its row, its debit and its job;
 * - a reseller's balance pays for its orders in arrival order, each only if it covers it (the
 *   conditional debit of `debitOrders`), and an order it does not cover leaves no trace;
 * - a `trx_id` is placed once: the unique index decides, and the loser learns it was a duplicate;
 * - one order cannot fail the others: a batch whose statements fail for any unexpected reason
 *   rolled back whole and is written again order by order. A batch whose COMMIT failed is not
 *   (its outcome is unknown on PostgreSQL): every order in it gets the error, as it would alone.
 */

const MAX_BATCH = 200; // 29 columns a row: far inside SQLite's 32,766 bound parameters
const INVOICE_ATTEMPTS = 50;

/** Every column of an order (the compiler checks the list is complete). */
const insertOrders = preparedRows<Order, { id: string }>(
  {
    id: true,
    reseller_id: true,
    invoice_number: true,
    trx_id: true,
    channel: true,
    product_id: true,
    product_code: true,
    product_name: true,
    category_code: true,
    category_title: true,
    category_subtitle: true,
    category_type: true,
    user_id: true,
    server_id: true,
    inputs: true,
    nickname: true,
    price: true,
    amount: true,
    status: true,
    ref: true,
    response_note: true,
    sn: true,
    voucher: true,
    failure_reason: true,
    refunded_amount: true,
    callback_url: true,
    created_at: true,
    updated_at: true,
    completed_at: true,
  },
  (q, rows) => q.insertInto('orders').values(rows).onConflict((oc) => oc.doNothing()).returning('id'),
);

export type IntakeOutcome = { kind: 'placed'; balance: number } | { kind: 'insufficient' } | { kind: 'duplicate_trx' };

interface Pending {
  order: Order;
  resolve: (o: IntakeOutcome) => void;
  reject: (err: unknown) => void;
}

export class IntakeBatcher {
  #queue: Pending[] = [];
  #draining = false;

  constructor(private readonly d: { db: Db; signal: JobSignal; invoicePrefix: string }) {}

  /** Writes `order` (filling in its invoice number), its debit, job and event; resolves once committed. */
  submit(order: Order): Promise<IntakeOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ order, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) await this.#flush(this.#queue.splice(0, MAX_BATCH));
    } finally {
      this.#draining = false;
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    let written = false;
    let outcomes: IntakeOutcome[];
    try {
      outcomes = await this.d.db.transaction(async (trx) => {
        const o = await this.#write(trx, batch.map((p) => p.order));
        written = true;
        return o;
      });
    } catch (err) {
      if (written || batch.length === 1) {
        for (const p of batch) p.reject(err);
      } else {
        for (const p of batch) await this.#flush([p]);
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(outcomes[i]!));
    if (outcomes.some((o) => o.kind === 'placed')) this.d.signal.notify();
  }

  async #write(trx: Queryable, orders: Order[]): Promise<IntakeOutcome[]> {
    const outcome = new Map<Order, IntakeOutcome>();

    // 1. The orders. One that is skipped reuses a trx_id (placed before, or earlier in this batch)
    //    or drew an invoice number already taken (4 random digits per category per second): the
    //    latter draws again, inside the same transaction, so a collision never surfaces.
    let unplaced = orders;
    for (let attempt = 1; unplaced.length > 0; attempt++) {
      if (attempt > INVOICE_ATTEMPTS) throw new Error(`no free invoice number after ${INVOICE_ATTEMPTS} draws`);
      // The order's own moment, like its RefId and created_at: all three name the same second.
      for (const o of unplaced) o.invoice_number = invoiceNumber(this.d.invoicePrefix, o.category_code, o.created_at);
      const rows = await insertOrders.all(trx, unplaced);
      const inserted = new Set(rows.map((r) => r.id));
      const skipped = unplaced.filter((o) => !inserted.has(o.id));
      const withTrx = skipped.filter((o) => o.trx_id !== null);
      if (withTrx.length > 0) {
        const taken = await trx
          .selectFrom('orders')
          .select(['reseller_id', 'trx_id'])
          .where((eb) => eb.or(withTrx.map((o) => eb.and([eb('reseller_id', '=', o.reseller_id), eb('trx_id', '=', o.trx_id)]))))
          .execute();
        const key = (r: { reseller_id: string; trx_id: string | null }) => `${r.reseller_id}\u0000${r.trx_id}`;
        const takenKeys = new Set(taken.map(key));
        for (const o of withTrx) if (takenKeys.has(key(o))) outcome.set(o, { kind: 'duplicate_trx' });
      }
      unplaced = skipped.filter((o) => !outcome.has(o));
    }
    const placed = orders.filter((o) => !outcome.has(o));

    // 2. Their jobs and events, then the debits last: on PostgreSQL a debit locks the reseller's
    //    balance row until COMMIT.
    await enqueueMany(
      trx,
      placed.map((o) => ({ kind: 'fulfil', orderId: o.id, dedupeKey: `fulfil:${o.id}`, payload: {}, runAt: o.created_at, now: o.created_at })),
    );
    await recordEvents(
      trx,
      placed.map((o) => ({ orderId: o.id, type: 'created', at: o.created_at, data: { channel: o.channel, amount: o.amount } })),
    );
    const byReseller = groupBy(placed, (o) => o.reseller_id);
    const refused: string[] = [];
    // In one order of resellers, so two batches (two api processes) never wait on each other's rows crosswise.
    for (const resellerId of [...byReseller.keys()].sort()) {
      const list = byReseller.get(resellerId)!;
      const paid = await debitOrders(trx, { resellerId, orders: list.map((o) => ({ orderId: o.id, amount: o.amount, at: o.created_at })) });
      for (const o of list) {
        const balance = paid.get(o.id);
        if (balance === undefined) refused.push(o.id);
        outcome.set(o, balance === undefined ? { kind: 'insufficient' } : { kind: 'placed', balance });
      }
    }
    if (refused.length > 0) {
      // Not covered: as if never written.
      await trx.deleteFrom('order_events').where('order_id', 'in', refused).execute();
      await trx.deleteFrom('jobs').where('order_id', 'in', refused).execute();
      await trx.deleteFrom('orders').where('id', 'in', refused).execute();
    }
    return orders.map((o) => outcome.get(o)!);
  }
}
