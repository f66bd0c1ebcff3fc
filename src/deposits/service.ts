import { randomInt } from 'node:crypto';
import type { Db } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { decodeCursor, encodeCursor } from '../db/keyset.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { rupiah } from '../domain/money.js';
import { OperatorError } from '../resellers/service.js';
import { BankAccounts } from './banks.js';
import { confirmTicket, type ConfirmOptions, type Confirmed } from './confirm.js';
import { assertActor, isDepositStatus, toTicket, type DepositTicket } from './tickets.js';

/**
 * Deposits by bank transfer (issue 10), the way Indonesian H2H platforms take them: the reseller
 * asks to deposit an amount and gets a ticket saying "transfer exactly amount + a 3-digit code to
 * this account before this time"; the operator confirms it when the transfer shows on the bank
 * statement, and that credits the balance (src/deposits/confirm.ts says why exactly once).
 *
 * Every read and cancel takes an optional reseller scope: with it, another reseller's ticket is
 * `not_found`, exactly like a ticket that does not exist (the member dashboard always passes it).
 * Tickets past their expiry turn `expired` lazily, whenever tickets are requested, read or
 * listed: no timer to run, and an expired ticket is never credited whether swept or not.
 */
export interface DepositServiceDeps {
  db: Db;
  clock: Clock;
  /** Smallest and largest amount a reseller may ask for (DEPOSIT_MIN, DEPOSIT_MAX). */
  min: number;
  max: number;
  /** How long a ticket waits for its transfer (DEPOSIT_TICKET_TTL_MIN). */
  ttlMs: number;
}

export interface DepositScope {
  /** Only this reseller's tickets exist for the caller. */
  resellerId?: string;
}

export interface DepositPage {
  tickets: DepositTicket[];
  /** Pass to `list` for the page after this one; null when this is the last. */
  nextCursor: string | null;
}

/** Requests racing for the same codes retry on the unique index; this many losses in a row is no longer bad luck. */
const MAX_CODE_ATTEMPTS = 25;

export class DepositService {
  readonly banks: BankAccounts;

  constructor(private readonly d: DepositServiceDeps) {
    this.banks = new BankAccounts(d.db);
  }

  /**
   * Issues a ticket. The unique code is drawn at random among those no pending ticket's total
   * uses; two requests drawing the same one meet at the partial unique index, and the loser draws
   * again from a fresh read.
   */
  async request(resellerId: string, amount: number, opts: { bank?: string; note?: string } = {}): Promise<DepositTicket> {
    const { min, max } = this.d;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < min || amount > max) {
      throw new OperatorError(`amount must be a whole number of rupiah from ${rupiah(min)} to ${rupiah(max)}`);
    }
    const note = opts.note?.trim() || null;
    if (note !== null && note.length > 200) throw new OperatorError('note is at most 200 characters');
    const reseller = await this.d.db.kysely.selectFrom('resellers').select('id').where('id', '=', resellerId).executeTakeFirst();
    if (!reseller) throw new OperatorError(`no reseller with id "${resellerId}"`, 'not_found');
    const bank = await this.banks.pick(opts.bank);

    const now = this.d.clock();
    // Expired tickets leave the unique index, so their totals are free again.
    await this.expireDue();
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
      const taken = await this.d.db.kysely
        .selectFrom('deposit_tickets')
        .select('total')
        .where('status', '=', 'pending')
        .where('total', '>', amount)
        .where('total', '<=', amount + 999)
        .execute();
      const used = new Set(taken.map((t) => t.total - amount));
      const free: number[] = [];
      for (let c = 1; c <= 999; c++) if (!used.has(c)) free.push(c);
      if (free.length === 0) {
        throw new OperatorError(`every unique code for ${rupiah(amount)} is taken by open tickets; ask for a slightly different amount, or later`, 'conflict');
      }
      const code = free[randomInt(free.length)]!;
      const id = newId('dep');
      try {
        await this.d.db.kysely
          .insertInto('deposit_tickets')
          .values({
            id,
            reseller_id: resellerId,
            amount,
            unique_code: code,
            total: amount + code,
            status: 'pending',
            method: 'bank_transfer',
            bank_code: bank.code,
            bank_name: bank.bank,
            bank_account_number: bank.number,
            bank_account_holder: bank.holder,
            expires_at: now + this.d.ttlMs,
            created_at: now,
            updated_at: now,
            confirmed_at: null,
            confirmed_by: null,
            cancelled_by: null,
            external_ref: null,
            ledger_entry_id: null,
            note,
          })
          .execute();
        return this.get(id);
      } catch (err) {
        if (isUniqueViolation(err, 'total')) continue;
        throw err;
      }
    }
    throw new OperatorError('too many deposit requests at once; try again in a moment', 'conflict');
  }

  async get(ticketId: string, scope: DepositScope = {}): Promise<DepositTicket> {
    await this.expireDue();
    let q = this.d.db.kysely.selectFrom('deposit_tickets').selectAll().where('id', '=', ticketId);
    if (scope.resellerId !== undefined) q = q.where('reseller_id', '=', scope.resellerId);
    const row = await q.executeTakeFirst();
    if (!row) throw new OperatorError(`no deposit ticket ${ticketId}`, 'not_found');
    return toTicket(row, this.d.clock());
  }

  /**
   * One page of tickets, newest first, with the cursor of the next page; keyset over
   * (created_at, id) on an index per filter (migration 0006), like the order lists.
   */
  async list(f: DepositScope & { status?: string; limit?: number; cursor?: string } = {}): Promise<DepositPage> {
    if (f.status !== undefined && !isDepositStatus(f.status)) throw new OperatorError(`unknown status ${f.status} (pending, confirmed, cancelled, expired)`);
    const after = f.cursor === undefined ? null : decodeCursor(f.cursor);
    if (f.cursor !== undefined && !after) throw new OperatorError(`not a cursor from a deposit list: ${f.cursor}`);
    const limit = Math.min(Math.max(Math.trunc(f.limit ?? 50), 1), 1000);
    await this.expireDue();
    let q = this.d.db.kysely.selectFrom('deposit_tickets').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (f.resellerId !== undefined) q = q.where('reseller_id', '=', f.resellerId);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const now = this.d.clock();
    return { tickets: page.map((r) => toTicket(r, now)), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  /** Credits the ticket's total once; see src/deposits/confirm.ts. `by`: `cli`, `operator:<id>`, `gateway:<name>`. */
  async confirm(ticketId: string, by: string, opts: ConfirmOptions = {}): Promise<Confirmed> {
    return confirmTicket(this.d, ticketId, by, opts);
  }

  /**
   * Withdraws a pending ticket (nothing was or will be credited). Cancelling a cancelled ticket
   * again answers the ticket as it is; a confirmed or expired one is a conflict.
   * `by`: `cli`, `operator:<id>`, `reseller:<id>` (with the reseller's scope), `gateway:<name>`.
   */
  async cancel(ticketId: string, by: string, scope: DepositScope = {}): Promise<DepositTicket> {
    assertActor(by, ['cli', 'operator', 'reseller', 'gateway']);
    const ticket = await this.get(ticketId, scope);
    const now = this.d.clock();
    const row = await this.d.db.kysely
      .updateTable('deposit_tickets')
      .set({ status: 'cancelled', cancelled_by: by, updated_at: now })
      .where('id', '=', ticket.id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (row) return toTicket(row, now);
    const current = await this.get(ticket.id);
    if (current.status === 'cancelled') return current;
    throw new OperatorError(
      current.status === 'confirmed' ? `deposit ${ticket.id} is already confirmed and credited; it cannot be cancelled` : `deposit ${ticket.id} has expired; nothing to cancel`,
      'conflict',
    );
  }

  /** Marks every pending ticket past its expiry as expired; returns how many. */
  async expireDue(): Promise<number> {
    const now = this.d.clock();
    const r = await this.d.db.kysely
      .updateTable('deposit_tickets')
      .set({ status: 'expired', updated_at: now })
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
