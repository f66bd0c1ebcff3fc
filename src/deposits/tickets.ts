import type { DepositStatus, DepositTicketRow } from '../db/schema.js';
import { OperatorError } from '../resellers/service.js';
import type { BankAccount } from './banks.js';

/** A deposit ticket as the CLI and the dashboards show it (money in whole rupiah, times in epoch ms). */
export interface DepositTicket {
  id: string;
  resellerId: string;
  /** What the reseller asked to deposit. */
  amount: number;
  uniqueCode: number;
  /** amount + uniqueCode: the exact sum to transfer, and what is credited. */
  total: number;
  status: DepositStatus;
  method: string;
  /** Where to transfer (the operator's account when the ticket was issued). */
  bank: BankAccount | null;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  confirmedAt: number | null;
  confirmedBy: string | null;
  cancelledBy: string | null;
  externalRef: string | null;
  ledgerEntryId: string | null;
  note: string | null;
}

export const DEPOSIT_STATUSES: readonly DepositStatus[] = ['pending', 'confirmed', 'cancelled', 'expired'];

export function isDepositStatus(s: string): s is DepositStatus {
  return (DEPOSIT_STATUSES as readonly string[]).includes(s);
}

/** Who did it: `cli`, `operator:<id>`, `gateway:<name>`, `reseller:<id>`. */
export type Actor = 'cli' | `operator:${string}` | `gateway:${string}` | `reseller:${string}`;

const ACTOR = /^(cli|(operator|gateway|reseller):[A-Za-z0-9_.@-]{1,64})$/;

export function assertActor(by: string, allowed: readonly ('cli' | 'operator' | 'gateway' | 'reseller')[]): void {
  const kind = by.split(':')[0] as 'cli';
  if (!ACTOR.test(by) || !allowed.includes(kind)) throw new OperatorError(`"${by}" may not do this (allowed: ${allowed.join(', ')})`);
}

/**
 * The answer to confirming a ticket that is already confirmed: a conflict (nothing more was
 * credited), carrying the ticket so a caller that only wants "is it paid?" (the CLI, a gateway's
 * retried notification, a double-clicked button) can report success calmly.
 */
export class AlreadyConfirmedError extends OperatorError {
  constructor(readonly ticket: DepositTicket) {
    super(`deposit ${ticket.id} is already confirmed (by ${ticket.confirmedBy ?? 'unknown'}); its ${ticket.total} rupiah were credited once and nothing more was credited`, 'conflict');
  }
}

export function toTicket(r: DepositTicketRow, now: number): DepositTicket {
  return {
    id: r.id,
    resellerId: r.reseller_id,
    amount: r.amount,
    uniqueCode: r.unique_code,
    total: r.total,
    // A ticket read between its expiry and the next sweep is shown as what it already is.
    status: r.status === 'pending' && r.expires_at <= now ? 'expired' : r.status,
    method: r.method,
    bank:
      r.bank_code === null
        ? null
        : { code: r.bank_code, bank: r.bank_name ?? '', number: r.bank_account_number ?? '', holder: r.bank_account_holder ?? '' },
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    confirmedAt: r.confirmed_at,
    confirmedBy: r.confirmed_by,
    cancelledBy: r.cancelled_by,
    externalRef: r.external_ref,
    ledgerEntryId: r.ledger_entry_id,
    note: r.note,
  };
}
