import { Command } from 'commander';
import type { BankAccount } from '../../deposits/banks.js';
import { AlreadyConfirmedError, type DepositTicket } from '../../deposits/tickets.js';
import { count, keyValues, out, rupiah, wholeNumber, withKios } from '../context.js';
import { printTable } from '../table.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function ticketJson(t: DepositTicket) {
  return {
    id: t.id,
    reseller_id: t.resellerId,
    amount: t.amount,
    unique_code: t.uniqueCode,
    total: t.total,
    status: t.status,
    method: t.method,
    bank: t.bank,
    expires_at: iso(t.expiresAt),
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    confirmed_at: iso(t.confirmedAt),
    confirmed_by: t.confirmedBy,
    cancelled_by: t.cancelledBy,
    external_ref: t.externalRef,
    ledger_entry_id: t.ledgerEntryId,
    note: t.note,
  };
}

function ticketLines(t: DepositTicket): string {
  return keyValues([
    ['ticket', t.id],
    ['reseller', t.resellerId],
    ['status', t.status],
    ['transfer', `${rupiah(t.total)} (${rupiah(t.amount)} + unique code ${t.uniqueCode})`],
    ['to', t.bank ? `${t.bank.bank} ${t.bank.number} a.n. ${t.bank.holder} (${t.bank.code})` : t.method],
    ['expires', iso(t.expiresAt)],
    ['created', iso(t.createdAt)],
    ['confirmed', t.confirmedAt ? `${iso(t.confirmedAt)} by ${t.confirmedBy ?? ''}` : null],
    ['cancelled by', t.cancelledBy],
    ['external ref', t.externalRef],
    ['ledger entry', t.ledgerEntryId],
    ['note', t.note],
  ]);
}

const bankLine = (a: BankAccount) => [a.code, a.bank, a.number, a.holder];
const accountsText = (list: BankAccount[]) =>
  list.length ? `bank accounts (the first is the default):\n${list.map((a) => `  ${bankLine(a).join('  ')}`).join('\n')}` : 'no bank accounts: deposit requests are refused until one is added';

/** `kios deposit ...`: deposits by bank transfer: tickets, their confirmation, the operator's accounts. */
export function depositCommands(): Command {
  const deposit = new Command('deposit').description('deposits by bank transfer: tickets with a unique amount, confirmed when the transfer arrives');

  deposit
    .command('request <reseller> <amount>')
    .description('issue a deposit ticket for a reseller: the exact amount to transfer (amount + a 3-digit code), where, and until when')
    .option('--bank <code>', 'the bank account to pay into (default: the first one)')
    .option('--note <text>', 'free text kept with the ticket')
    .option('--json', 'print JSON')
    .action(async (who: string, amount: string, o: { bank?: string; note?: string; json?: boolean }) =>
      withKios(async (k) => {
        const rp = wholeNumber(amount);
        const r = await k.resellers.get(who);
        const t = await k.deposits.request(r.id, rp, { bank: o.bank, note: o.note });
        out(o.json, ticketJson(t), () => ticketLines(t));
      }),
    );

  deposit
    .command('list')
    .description('deposit tickets, newest first')
    .option('--status <status>', 'only this status: pending, confirmed, cancelled, expired')
    .option('--reseller <id-or-email>', 'only this reseller')
    .option('--limit <n>', 'how many per page', count, 50)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print JSON')
    .action(async (o: { status?: string; reseller?: string; limit: number; cursor?: string; json?: boolean }) =>
      withKios(async (k) => {
        const resellerId = o.reseller ? (await k.resellers.get(o.reseller)).id : undefined;
        const status = o.status?.toLowerCase();
        const page = await k.deposits.list({ resellerId, status, limit: o.limit, cursor: o.cursor });
        if (o.json) return out(true, { tickets: page.tickets.map(ticketJson), next_cursor: page.nextCursor });
        printTable(
          ['ticket', 'status', 'total', 'reseller', 'bank', 'expires', 'created'],
          page.tickets.map((t) => [t.id, t.status, rupiah(t.total), t.resellerId, t.bank?.code ?? t.method, iso(t.expiresAt)!, iso(t.createdAt)!]),
        );
        if (page.nextCursor) {
          const filters = [...(resellerId ? ['--reseller', resellerId] : []), ...(status ? ['--status', status] : [])];
          process.stdout.write(`\nnext page: kios deposit list ${[...filters, '--limit', String(o.limit), '--cursor', page.nextCursor].join(' ')}\n`);
        }
      }),
    );

  deposit
    .command('show <ticket>')
    .description('one deposit ticket')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const t = await k.deposits.get(id);
        out(o.json, ticketJson(t), () => ticketLines(t));
      }),
    );

  deposit
    .command('confirm <ticket>')
    .description("the transfer arrived: credit the ticket's total to the reseller, once (confirming again credits nothing)")
    .option('--external-ref <ref>', "the bank's reference of the transfer; one transfer confirms one ticket")
    .option('--paid <amount>', 'the amount that arrived: refused unless it is exactly the ticket total')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { externalRef?: string; paid?: string; json?: boolean }) =>
      withKios(async (k) => {
        const paid = o.paid === undefined ? undefined : wholeNumber(o.paid);
        try {
          const c = await k.deposits.confirm(id, 'cli', { externalRef: o.externalRef, paid });
          out(o.json, { ticket: ticketJson(c.ticket), credited: c.ticket.total, balance: c.balance, already_confirmed: false }, () =>
            `confirmed ${c.ticket.id}: credited ${rupiah(c.ticket.total)} to ${c.ticket.resellerId}; balance is now ${rupiah(c.balance)}`,
          );
        } catch (err) {
          // Confirming twice is what an operator does when unsure: say it is done, not that it failed.
          if (!(err instanceof AlreadyConfirmedError)) throw err;
          const t = err.ticket;
          out(o.json, { ticket: ticketJson(t), credited: 0, already_confirmed: true }, () =>
            `${t.id} was already confirmed at ${iso(t.confirmedAt)} by ${t.confirmedBy ?? ''}: ${rupiah(t.total)} was credited then, nothing more now`,
          );
        }
      }),
    );

  deposit
    .command('cancel <ticket>')
    .description('withdraw a pending ticket; it can no longer be confirmed')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const t = await k.deposits.cancel(id, 'cli');
        out(o.json, ticketJson(t), () => `cancelled ${t.id} (${rupiah(t.total)} for ${t.resellerId}); nothing is credited`);
      }),
    );

  const bank = deposit.command('bank').description('the bank accounts resellers transfer deposits to');
  bank
    .command('add <code> <bank> <number> <holder>')
    .description('add an account, e.g. `bank add bca BCA 1234567890 "PT Kios Jaya"`; the first one is the default')
    .option('--json', 'print JSON')
    .action(async (code: string, name: string, number: string, holder: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.deposits.banks.add({ code, bank: name, number, holder });
        out(o.json, { accounts: list }, () => accountsText(list));
      }),
    );
  bank
    .command('remove <code>')
    .description('remove an account (open tickets keep the account they were given)')
    .option('--json', 'print JSON')
    .action(async (code: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.deposits.banks.remove(code);
        out(o.json, { accounts: list }, () => accountsText(list));
      }),
    );
  bank
    .command('list')
    .description('the accounts, default first')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.deposits.banks.list();
        if (o.json) return out(true, { accounts: list });
        if (list.length === 0) return out(false, null, () => 'no bank accounts: add one with `kios deposit bank add <code> <bank> <number> <holder>`');
        printTable(['code', 'bank', 'number', 'holder'], list.map(bankLine));
      }),
    );

  return deposit;
}
