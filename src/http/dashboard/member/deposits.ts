import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { DepositTicket } from '../../../deposits/tickets.js';
import { DEPOSIT_STATUSES } from '../../../deposits/tickets.js';
import { memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { bankAccountSchema, errors, pageOf, pageQuery, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['member: deposits'];
const ticketSchema = z
  .object({
    id: z.string(),
    amount: z.number().int(),
    uniqueCode: z.number().int(),
    total: z.number().int().describe('the exact sum to transfer'),
    status: z.enum(DEPOSIT_STATUSES as [string, ...string[]]),
    bank: bankAccountSchema.nullable(),
    expiresAt: z.number().int(),
    createdAt: z.number().int(),
    confirmedAt: z.number().int().nullable(),
  })
  .meta({ id: 'MemberDepositTicket' });
const idParams = z.object({ id: z.string().min(1).max(64) });

/** What a reseller sees of a ticket: not who confirmed it, nor the ledger's internals. */
function view(t: DepositTicket) {
  return { id: t.id, amount: t.amount, uniqueCode: t.uniqueCode, total: t.total, status: t.status, bank: t.bank, expiresAt: t.expiresAt, createdAt: t.createdAt, confirmedAt: t.confirmedAt };
}

/** Deposits by bank transfer: the reseller asks, transfers the unique total, the operator confirms. */
export function memberDepositRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/deposit-banks',
    { onRequest: requireMember, schema: { tags, summary: "The operator's bank accounts to transfer to", response: { 200: z.object({ items: z.array(bankAccountSchema) }), ...errors(...SESSION_ERRORS) } } },
    async () => ({ items: await k.deposits.banks.list() }),
  );

  app.get(
    '/deposits',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'Deposit tickets, newest first', querystring: pageQuery.extend({ status: z.enum(DEPOSIT_STATUSES as [string, ...string[]]).optional() }), response: { 200: pageOf(ticketSchema), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req) => {
      const page = await k.deposits.list({ ...req.query, resellerId: memberOf(req).reseller.id });
      return { items: page.tickets.map(view), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/deposits',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: 'Ask to deposit: a ticket with a unique total to transfer',
        body: z.object({ amount: z.number().int().positive(), bank: z.string().max(32).optional() }),
        response: { 200: ticketSchema, ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => view(await k.deposits.request(memberOf(req).reseller.id, req.body.amount, { bank: req.body.bank })),
  );

  app.get(
    '/deposits/:id',
    { onRequest: requireMember, schema: { tags, summary: 'One ticket', params: idParams, response: { 200: ticketSchema, ...errors(400, 404, ...SESSION_ERRORS) } } },
    async (req) => view(await k.deposits.get(req.params.id, { resellerId: memberOf(req).reseller.id })),
  );

  app.post(
    '/deposits/:id/cancel',
    { onRequest: requireMember, schema: { tags, summary: 'Cancel a pending ticket', params: idParams, body: z.object({}).optional(), response: { 200: ticketSchema, ...errors(...WRITE_ERRORS, 404, 409) } } },
    async (req) => {
      const { reseller } = memberOf(req);
      return view(await k.deposits.cancel(req.params.id, `reseller:${reseller.id}`, { resellerId: reseller.id }));
    },
  );
}
