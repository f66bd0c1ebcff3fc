import { sql } from 'kysely';
import type { Queryable } from '../db/index.js';

/**
 * Checks the ledger invariants over the whole database (`kios ledger verify`, and every money
 * test after its scenario):
 * 1. every balance equals the sum of its entries, and is never negative;
 * 2. each entry's balance_after is the running sum of the reseller's entries in posting order;
 * 3. every order has exactly one debit of its amount and at most one refund;
 * 4. refunds match the order's status: FAILED/REFUNDED returned in full, PARTIAL_SUCCESS
 *    returned its refunded part, anything else returned nothing;
 * 5. redeem fees (issue 9): every `redeem_fee` entry is the one fee of one successfully redeemed
 *    voucher (`redeem-fee:<voucher id>`, its amount the voucher's fee), and no voucher that did
 *    not succeed was charged;
 * 6. deposits by bank transfer (issue 10): every confirmed ticket has exactly one deposit entry,
 *    its reference the ticket id and its amount the ticket's total; no other ticket has one.
 */
export interface LedgerViolation {
  kind: 'balance_mismatch' | 'negative_balance' | 'running_sum' | 'debit' | 'refund' | 'redeem_fee' | 'deposit_ticket';
  subject: string;
  detail: string;
}

export async function verifyLedger(db: Queryable): Promise<LedgerViolation[]> {
  const out: LedgerViolation[] = [];

  const balances = await db
    .selectFrom('resellers as r')
    .leftJoin('ledger_entries as e', 'e.reseller_id', 'r.id')
    .select(['r.id', 'r.balance', sql<number | string | null>`sum(e.amount)`.as('total')])
    .groupBy(['r.id', 'r.balance'])
    .execute();
  for (const b of balances) {
    const total = Number(b.total ?? 0);
    if (total !== b.balance) out.push({ kind: 'balance_mismatch', subject: b.id, detail: `balance ${b.balance} but entries sum to ${total}` });
    if (b.balance < 0) out.push({ kind: 'negative_balance', subject: b.id, detail: `balance ${b.balance}` });
  }

  const entries = await db
    .selectFrom('ledger_entries')
    .select(['id', 'reseller_id', 'amount', 'balance_after'])
    .orderBy('reseller_id')
    .orderBy('seq')
    .execute();
  let current = '';
  let running = 0;
  for (const e of entries) {
    if (e.reseller_id !== current) {
      current = e.reseller_id;
      running = 0;
    }
    running += e.amount;
    if (running !== e.balance_after) {
      out.push({ kind: 'running_sum', subject: e.id, detail: `balance_after ${e.balance_after}, running sum ${running}` });
      running = e.balance_after;
    }
  }

  const orders = await db
    .selectFrom('orders as o')
    .leftJoin('ledger_entries as e', 'e.order_id', 'o.id')
    .select([
      'o.id',
      'o.status',
      'o.amount',
      'o.refunded_amount',
      sql<number>`sum(case when e.order_leg = 'debit' then 1 else 0 end)`.as('debits'),
      sql<number>`sum(case when e.order_leg = 'debit' then e.amount else 0 end)`.as('debited'),
      sql<number>`sum(case when e.order_leg = 'refund' then 1 else 0 end)`.as('refunds'),
      sql<number>`sum(case when e.order_leg = 'refund' then e.amount else 0 end)`.as('refunded'),
    ])
    .groupBy(['o.id', 'o.status', 'o.amount', 'o.refunded_amount'])
    .execute();
  for (const o of orders) {
    const debits = Number(o.debits);
    const debited = Number(o.debited);
    const refunds = Number(o.refunds);
    const refunded = Number(o.refunded);
    if (debits !== 1 || debited !== -o.amount) {
      out.push({ kind: 'debit', subject: o.id, detail: `${debits} debit(s) totalling ${debited} for amount ${o.amount}` });
    }
    if (refunds > 1) out.push({ kind: 'refund', subject: o.id, detail: `${refunds} refunds` });
    const expected = o.status === 'FAILED' || o.status === 'REFUNDED' ? o.amount : o.status === 'PARTIAL_SUCCESS' ? o.refunded_amount : 0;
    if (refunded !== expected || o.refunded_amount !== refunded) {
      out.push({ kind: 'refund', subject: o.id, detail: `status ${o.status}: refunded ${refunded}, expected ${expected} (order says ${o.refunded_amount})` });
    }
  }
  out.push(...(await verifyRedeemFees(db)));
  out.push(...(await verifyDepositTickets(db)));
  return out;
}

async function verifyDepositTickets(db: Queryable): Promise<LedgerViolation[]> {
  const out: LedgerViolation[] = [];
  const tickets = await db
    .selectFrom('deposit_tickets as t')
    .leftJoin('ledger_entries as e', (j) => j.onRef('e.reseller_id', '=', 't.reseller_id').onRef('e.reference', '=', 't.id').on('e.kind', '=', 'deposit'))
    .select(['t.id', 't.status', 't.total', 't.ledger_entry_id', sql<number>`count(e.id)`.as('entries'), sql<number | string | null>`sum(e.amount)`.as('credited'), sql<string | null>`max(e.id)`.as('entry')])
    .groupBy(['t.id', 't.status', 't.total', 't.ledger_entry_id'])
    .execute();
  for (const t of tickets) {
    const entries = Number(t.entries);
    const credited = Number(t.credited ?? 0);
    if (t.status === 'confirmed') {
      if (entries !== 1 || credited !== t.total) out.push({ kind: 'deposit_ticket', subject: t.id, detail: `confirmed: ${entries} deposit entr(ies) totalling ${credited} for a total of ${t.total}` });
      else if (t.ledger_entry_id !== t.entry) out.push({ kind: 'deposit_ticket', subject: t.id, detail: `names ledger entry ${t.ledger_entry_id ?? 'none'} but was credited by ${t.entry}` });
    } else if (entries !== 0) {
      out.push({ kind: 'deposit_ticket', subject: t.id, detail: `${t.status} but credited ${credited} in ${entries} entr(ies)` });
    }
  }
  return out;
}

async function verifyRedeemFees(db: Queryable): Promise<LedgerViolation[]> {
  const out: LedgerViolation[] = [];
  const fees = await db.selectFrom('ledger_entries').select(['id', 'amount', 'reference']).where('kind', '=', 'redeem_fee').execute();
  const charged = await db.selectFrom('redeem_vouchers').select(['id', 'status', 'fee', 'fee_entry']).where('fee_entry', 'is not', null).execute();
  const byEntry = new Map(charged.map((v) => [v.fee_entry!, v]));
  for (const e of fees) {
    const v = byEntry.get(e.id);
    if (!v || e.reference !== `redeem-fee:${v.id}`) out.push({ kind: 'redeem_fee', subject: e.id, detail: `fee entry ${e.reference ?? ''} belongs to no voucher` });
    else if (v.status !== 1) out.push({ kind: 'redeem_fee', subject: e.id, detail: `voucher ${v.id} was charged but its status is ${v.status}` });
    else if (e.amount !== -v.fee) out.push({ kind: 'redeem_fee', subject: e.id, detail: `charged ${-e.amount} for a fee of ${v.fee}` });
    byEntry.delete(e.id);
  }
  for (const [entry, v] of byEntry) out.push({ kind: 'redeem_fee', subject: String(v.id), detail: `voucher names fee entry ${entry}, which does not exist` });
  return out;
}

/** The `meta` row that keeps the outcome of the last verification, for every process's /metrics. */
const LAST_VERIFICATION_KEY = 'ledger_verify_last';

export interface LedgerVerification {
  ok: boolean;
  violations: number;
  /** Unix milliseconds. */
  at: number;
}

/**
 * Keeps the outcome of a verification in the database: `kios ledger verify` usually runs as its
 * own process (cron), which no scrape reaches, so the running processes report it from here.
 */
export async function recordLedgerVerification(db: Queryable, v: LedgerVerification): Promise<void> {
  const value = JSON.stringify(v);
  await db
    .insertInto('meta')
    .values({ key: LAST_VERIFICATION_KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function lastLedgerVerification(db: Queryable): Promise<LedgerVerification | null> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', LAST_VERIFICATION_KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as LedgerVerification) : null;
}
