import { sql } from 'kysely';
import { isUniqueViolation, type Queryable } from '../db/index.js';
import { prepared, preparedRows } from '../db/prepared.js';
import type { Insertable } from 'kysely';
import type { LedgerEntryTable, LedgerKind, OrderLeg } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { assertRupiah, type Rupiah } from '../domain/money.js';

/**
 * The only code that moves money. Every movement is one append-only ledger entry plus the
 * matching change of the cached balance, both inside the caller's transaction. A debit is
 * conditional (`... WHERE balance >= amount`), so no interleaving of concurrent requests can
 * drive a balance below zero; the schema's CHECK constraints back this up.
 */

export interface Movement {
  resellerId: string;
  kind: LedgerKind;
  /** Positive credits the balance, negative debits it. */
  amount: number;
  orderId?: string | null;
  orderLeg?: OrderLeg | null;
  reference?: string | null;
  note?: string | null;
  at: number;
}

export interface Posted {
  entryId: string;
  balanceAfter: Rupiah;
}

/**
 * Posts one movement. Returns null when a debit would overdraw the balance (nothing is written),
 * and throws on a duplicate order leg or reference (the caller's transaction must roll back).
 */
export async function post(trx: Queryable, m: Movement): Promise<Posted | null> {
  if (!Number.isSafeInteger(m.amount) || m.amount === 0) throw new RangeError(`ledger amount must be a non-zero whole number, got ${m.amount}`);
  assertRupiah(Math.abs(m.amount));

  const row = await (m.amount < 0 ? debit : credit).first(trx, { resellerId: m.resellerId, amount: m.amount });
  if (!row) return null;

  const entryId = newId('le');
  await insertEntry.changes(trx, {
    id: entryId,
    reseller_id: m.resellerId,
    kind: m.kind,
    amount: m.amount,
    balance_after: row.balance,
    order_id: m.orderId ?? null,
    order_leg: m.orderLeg ?? null,
    reference: m.reference ?? null,
    note: m.note ?? null,
    created_at: m.at,
  });
  return { entryId, balanceAfter: row.balance };
}

const credit = prepared((q, a: { resellerId: string; amount: number }) =>
  q.updateTable('resellers').set({ balance: sql<number>`balance + ${a.amount}` }).where('id', '=', a.resellerId).returning('balance'),
);
/** Conditional: matches no row when the balance does not cover the debit (`amount` is negative). */
const debit = prepared((q, a: { resellerId: string; amount: number }) =>
  q
    .updateTable('resellers')
    .set({ balance: sql<number>`balance + ${a.amount}` })
    .where('id', '=', a.resellerId)
    .where(sql<boolean>`balance + ${a.amount} >= 0`)
    .returning('balance'),
);
const insertEntry = prepared((q, e: Insertable<LedgerEntryTable>) => q.insertInto('ledger_entries').values(e));

/**
 * The debits of several new orders of one reseller, in the given order: as one balance move when
 * the balance covers them all, else one conditional debit each, so exactly the orders the
 * balance covers in that order are paid (a later, cheaper one may pass where an earlier one did
 * not). One ledger entry per paid order, each with the balance right after it. Returns the
 * balance after each paid order; the others are not in the map and were not charged.
 */
export async function debitOrders(trx: Queryable, a: { resellerId: string; orders: { orderId: string; amount: Rupiah; at: number }[] }): Promise<Map<string, Rupiah>> {
  const paid = new Map<string, Rupiah>();
  if (a.orders.length === 0) return paid;
  const total = a.orders.reduce((sum, o) => sum + assertRupiah(o.amount), 0);
  const all = await debit.first(trx, { resellerId: a.resellerId, amount: -total });
  if (all) {
    // Each order's balance is the final one plus what the orders after it took.
    let after = all.balance + total;
    for (const o of a.orders) paid.set(o.orderId, (after -= o.amount));
  } else {
    for (const o of a.orders) {
      const row = await debit.first(trx, { resellerId: a.resellerId, amount: -o.amount });
      if (row) paid.set(o.orderId, row.balance);
    }
  }
  if (paid.size === 0) return paid;
  await insertEntries.changes(
    trx,
    a.orders
      .filter((o) => paid.has(o.orderId))
      .map((o) => ({
        id: newId('le'),
        reseller_id: a.resellerId,
        kind: 'order_debit' as const,
        amount: -o.amount,
        balance_after: paid.get(o.orderId)!,
        order_id: o.orderId,
        order_leg: 'debit' as const,
        reference: null,
        note: null,
        created_at: o.at,
      })),
  );
  return paid;
}

type NewEntry = Omit<Insertable<LedgerEntryTable>, 'seq'>;
const insertEntries = preparedRows<NewEntry>(
  { id: true, reseller_id: true, kind: true, amount: true, balance_after: true, order_id: true, order_leg: true, reference: true, note: true, created_at: true },
  (q, rows) => q.insertInto('ledger_entries').values(rows),
);

/** Returns (part of) an order's price. An order can be refunded once: a second refund throws. */
export async function refundOrder(
  trx: Queryable,
  a: { resellerId: string; orderId: string; amount: Rupiah; partial: boolean; note?: string; at: number },
): Promise<Posted> {
  const posted = await post(trx, {
    resellerId: a.resellerId,
    kind: a.partial ? 'partial_refund' : 'refund',
    amount: assertRupiah(a.amount),
    orderId: a.orderId,
    orderLeg: 'refund',
    note: a.note ?? null,
    at: a.at,
  });
  if (!posted) throw new Error('a credit cannot fail for want of balance');
  return posted;
}

export class DuplicateReferenceError extends Error {
  constructor(readonly reference: string) {
    super(`reference ${reference} was already posted`);
  }
}

/**
 * Deposit (amount > 0) or adjustment (any sign) by the operator. With a `reference`, posting the
 * same reference twice for one reseller is refused, so a retried deposit never credits twice.
 */
export async function postOperatorMovement(
  trx: Queryable,
  a: { resellerId: string; kind: 'deposit' | 'adjustment'; amount: number; reference?: string | null; note?: string | null; at: number },
): Promise<Posted | null> {
  try {
    return await post(trx, { ...a, orderId: null, orderLeg: null });
  } catch (err) {
    if (a.reference && isUniqueViolation(err, 'reference')) throw new DuplicateReferenceError(a.reference);
    throw err;
  }
}
