import type { Db } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { rupiah } from '../domain/money.js';
import { DuplicateReferenceError, postOperatorMovement } from '../ledger/ledger.js';
import { OperatorError } from '../resellers/service.js';
import { AlreadyConfirmedError, assertActor, toTicket, type DepositTicket } from './tickets.js';

/**
 * Confirming a deposit ticket: the one place a ticket turns into money.
 *
 * Why it credits exactly once, however many operators, browser tabs or gateway retries confirm
 * the same ticket at the same moment:
 * - the status change is one conditional UPDATE (`... WHERE status = 'pending' AND expires_at >
 *   now`), so exactly one confirmation matches the row; on PostgreSQL the others wait on its row
 *   lock and then match nothing, on SQLite write transactions run one at a time;
 * - the credit is posted in the same transaction as that UPDATE, with the ticket id as its ledger
 *   reference, which is unique per reseller: even a bug that let two confirmations through would
 *   fail the second credit and roll its transaction back, status change included;
 * - a ticket past its expiry never matches, whether or not a sweep has marked it expired yet.
 *
 * The loser of a race, and anyone confirming an already confirmed ticket later, gets
 * AlreadyConfirmedError: a conflict that says the money was credited once.
 */
export interface ConfirmOptions {
  /** The bank's or gateway's payment reference; one payment confirms at most one ticket. */
  externalRef?: string;
  /** What actually arrived: when given it must be the ticket's total to the rupiah. */
  paid?: number;
}

export interface Confirmed {
  ticket: DepositTicket;
  /** The reseller's balance right after the credit. */
  balance: number;
}

export async function confirmTicket(d: { db: Db; clock: Clock }, ticketId: string, by: string, opts: ConfirmOptions): Promise<Confirmed> {
  assertActor(by, ['cli', 'operator', 'gateway']);
  const externalRef = opts.externalRef?.trim() || null;
  if (externalRef !== null && (externalRef.length > 100 || /[\u0000-\u001f]/.test(externalRef))) {
    throw new OperatorError('external reference is at most 100 printable characters');
  }
  if (opts.paid !== undefined && (typeof opts.paid !== 'number' || !Number.isSafeInteger(opts.paid) || opts.paid <= 0)) {
    throw new OperatorError('paid amount must be a whole number of rupiah');
  }

  const before = await d.db.kysely.selectFrom('deposit_tickets').selectAll().where('id', '=', ticketId).executeTakeFirst();
  if (!before) throw new OperatorError(`no deposit ticket ${ticketId}`, 'not_found');
  // The total never changes, so checking it before the transaction is as good as inside it.
  if (opts.paid !== undefined && opts.paid !== before.total && before.status === 'pending') {
    throw new OperatorError(`${rupiah(opts.paid)} arrived but deposit ${ticketId} expects exactly ${rupiah(before.total)}; nothing was credited`);
  }

  const now = d.clock();
  let confirmed: Confirmed | null;
  try {
    confirmed = await d.db.transaction(async (trx) => {
      const row = await trx
        .updateTable('deposit_tickets')
        .set({ status: 'confirmed', confirmed_at: now, confirmed_by: by, external_ref: externalRef, updated_at: now })
        .where('id', '=', ticketId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      const posted = await postOperatorMovement(trx, {
        resellerId: row.reseller_id,
        kind: 'deposit',
        amount: row.total,
        reference: row.id,
        note: `deposit ${row.method}${externalRef ? ` ${externalRef}` : ''} confirmed by ${by}`,
        at: now,
      });
      if (!posted) throw new Error('a credit cannot fail for want of balance');
      await trx.updateTable('deposit_tickets').set({ ledger_entry_id: posted.entryId }).where('id', '=', row.id).execute();
      return { ticket: toTicket({ ...row, ledger_entry_id: posted.entryId }, now), balance: posted.balanceAfter };
    });
  } catch (err) {
    if (externalRef !== null && isUniqueViolation(err, 'external_ref')) {
      const other = await d.db.kysely.selectFrom('deposit_tickets').select('id').where('method', '=', before.method).where('external_ref', '=', externalRef).executeTakeFirst();
      throw new OperatorError(`payment reference "${externalRef}" already confirmed deposit ${other?.id ?? 'another ticket'}; nothing was credited`, 'conflict');
    }
    if (err instanceof DuplicateReferenceError) throw new OperatorError(`deposit ${ticketId} was already credited; nothing more was credited`, 'conflict');
    throw err;
  }
  if (confirmed) return confirmed;

  // Nothing matched: say why, from the ticket as it is now.
  const current = await d.db.kysely.selectFrom('deposit_tickets').selectAll().where('id', '=', ticketId).executeTakeFirstOrThrow();
  const ticket = toTicket(current, d.clock());
  if (ticket.status === 'confirmed') throw new AlreadyConfirmedError(ticket);
  if (ticket.status === 'cancelled') throw new OperatorError(`deposit ${ticketId} was cancelled (by ${ticket.cancelledBy ?? 'unknown'}); nothing was credited`, 'conflict');
  if (current.status === 'pending') {
    await d.db.kysely.updateTable('deposit_tickets').set({ status: 'expired', updated_at: now }).where('id', '=', ticketId).where('status', '=', 'pending').execute();
  }
  throw new OperatorError(
    `deposit ${ticketId} expired at ${new Date(ticket.expiresAt).toISOString()}; nothing was credited. If its transfer did arrive, credit it by hand: ` +
      `\`kios reseller deposit ${ticket.resellerId} ${ticket.total} --reference <bank reference>\``,
    'conflict',
  );
}
