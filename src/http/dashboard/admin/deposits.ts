import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { DepositTicket } from '../../../deposits/tickets.js';
import { DEPOSIT_STATUSES } from '../../../deposits/tickets.js';
import { actorOf, operatorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { bankAccountSchema, errors, pageOf, pageQuery, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: deposits'];
const id = z.object({ id: z.string().min(1).max(100) });
const banksResponse = z.object({ accounts: z.array(bankAccountSchema) });

const ticket = z
  .object({
    id: z.string(),
    reseller: z.object({ id: z.string(), name: z.string(), email: z.string() }),
    amount: z.number().int(),
    uniqueCode: z.number().int(),
    total: z.number().int(),
    status: z.enum(DEPOSIT_STATUSES as ['pending', 'confirmed', 'cancelled', 'expired']),
    method: z.string(),
    bank: bankAccountSchema.nullable(),
    expiresAt: z.number().int(),
    createdAt: z.number().int(),
    confirmedAt: z.number().int().nullable(),
    confirmedBy: z.string().nullable(),
    cancelledBy: z.string().nullable(),
    externalRef: z.string().nullable(),
    note: z.string().nullable(),
  })
  .meta({ id: 'AdminDepositTicket' });

/**
 * Deposit tickets for operators. Confirming or cancelling a ticket is open to staff: the ticket
 * is the evidence (its reseller, its exact total, its expiry) and the deposit service's rules
 * hold whoever clicks: a ticket credits its own total once, never after it expired or was
 * cancelled (src/deposits/confirm.ts). Which bank accounts resellers pay into is the owner's.
 */
export function adminDepositRoutes(app: DashboardApp, k: Kios): void {
  const anyone = requireOperator();
  const owner = requireOperator({ owner: true });
  const by = (req: Parameters<typeof operatorOf>[0]) => `operator:${operatorOf(req).operator.id}`;

  /** Tickets with their resellers' names, read in one query per page. */
  const withResellers = async (tickets: DepositTicket[]) => {
    const ids = [...new Set(tickets.map((t) => t.resellerId))];
    const rows = ids.length ? await k.db.kysely.selectFrom('resellers').select(['id', 'name', 'email']).where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return tickets.map((t) => ({
      id: t.id,
      reseller: byId.get(t.resellerId) ?? { id: t.resellerId, name: '', email: '' },
      amount: t.amount,
      uniqueCode: t.uniqueCode,
      total: t.total,
      status: t.status,
      method: t.method,
      bank: t.bank,
      expiresAt: t.expiresAt,
      createdAt: t.createdAt,
      confirmedAt: t.confirmedAt,
      confirmedBy: t.confirmedBy,
      cancelledBy: t.cancelledBy,
      externalRef: t.externalRef,
      note: t.note,
    }));
  };
  const one = async (t: DepositTicket) => (await withResellers([t]))[0]!;

  app.get(
    '/deposits',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Deposit tickets, newest first (status=pending: the ones waiting for their transfer)',
        querystring: pageQuery.extend({ status: z.enum(DEPOSIT_STATUSES as ['pending', 'confirmed', 'cancelled', 'expired']).optional() }),
        response: { 200: pageOf(ticket), ...errors(400, ...SESSION_ERRORS) },
      },
    },
    async (req) => {
      const page = await k.deposits.list(req.query);
      return { items: await withResellers(page.tickets), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/deposits/:id/confirm',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Confirm a ticket whose transfer arrived: credits its total once',
        description: 'A ticket already confirmed (also by a concurrent click), cancelled or expired answers 409 and credits nothing.',
        params: id,
        body: z.object({ externalRef: z.string().trim().min(1).max(100).optional(), paid: z.number().int().positive().optional() }),
        response: { 200: z.object({ ticket, balance: z.number().int() }), ...errors(...WRITE_ERRORS, 404, 409) },
      },
    },
    async (req) => {
      const r = await k.deposits.confirm(req.params.id, by(req), req.body);
      // Only the confirmation that credited gets here: the losers of a race were refused above.
      await k.audit.record(actorOf(req), 'deposit.confirm', { type: 'deposit', id: r.ticket.id }, { status: 'pending', balance: r.balance - r.ticket.total }, { status: 'confirmed', balance: r.balance, total: r.ticket.total, externalRef: r.ticket.externalRef });
      return { ticket: await one(r.ticket), balance: r.balance };
    },
  );

  app.post(
    '/deposits/:id/cancel',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Cancel a pending ticket (nothing is credited)',
        params: id,
        body: z.object({ reason: z.string().trim().min(1).max(500).optional() }),
        response: { 200: z.object({ ticket }), ...errors(...WRITE_ERRORS, 404, 409) },
      },
    },
    async (req) => {
      const before = await k.deposits.get(req.params.id);
      const t = await k.deposits.cancel(before.id, by(req));
      if (before.status !== t.status) await k.audit.record(actorOf(req), 'deposit.cancel', { type: 'deposit', id: t.id }, { status: before.status }, { status: t.status }, req.body.reason ?? null);
      return { ticket: await one(t) };
    },
  );

  app.get('/deposits/banks', { onRequest: anyone, schema: { tags, summary: 'The bank accounts resellers transfer deposits to', response: { 200: banksResponse, ...errors(...SESSION_ERRORS) } } }, async () => ({
    accounts: await k.deposits.banks.list(),
  }));

  app.post(
    '/deposits/banks',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Add a bank account for deposits (owners); open tickets keep the account they were issued with',
        body: z.object({ code: z.string().max(20), bank: z.string().max(50), number: z.string().max(40), holder: z.string().max(100) }),
        response: { 200: banksResponse, ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => {
      const before = await k.deposits.banks.list();
      const accounts = await k.deposits.banks.add(req.body);
      await k.audit.record(actorOf(req), 'deposit.bank.add', { type: 'bank_account', id: req.body.code.trim().toLowerCase() }, before, accounts);
      return { accounts };
    },
  );

  app.post(
    '/deposits/banks/remove',
    {
      onRequest: owner,
      schema: { tags, summary: 'Remove a bank account for deposits (owners)', body: z.object({ code: z.string().max(20) }), response: { 200: banksResponse, ...errors(...WRITE_ERRORS, 404) } },
    },
    async (req) => {
      const before = await k.deposits.banks.list();
      const accounts = await k.deposits.banks.remove(req.body.code);
      await k.audit.record(actorOf(req), 'deposit.bank.remove', { type: 'bank_account', id: req.body.code.trim().toLowerCase() }, before, accounts);
      return { accounts };
    },
  );
}
