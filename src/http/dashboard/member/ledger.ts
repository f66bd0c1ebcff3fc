import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { LEDGER_KINDS } from '../../../member/ledger.js';
import { memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, pageOf, pageQuery, SESSION_ERRORS } from '../schemas.js';

const tags = ['member: ledger'];

export const rangeQuery = z.object({
  from: z.coerce.number().int().min(0).optional().describe('epoch ms, inclusive'),
  to: z.coerce.number().int().min(0).optional().describe('epoch ms, exclusive'),
});

const ledgerFilter = rangeQuery.extend({ kind: z.enum(LEDGER_KINDS as [string, ...string[]]).optional() });

const entrySchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    reference: z.string().nullable(),
    invoice: z.string().nullable(),
    note: z.string().nullable(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'MutasiEntry' });

/** Mutasi: the reseller's ledger, paged, and the same filter as a CSV download. */
export function memberLedgerRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/ledger',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'Mutasi: ledger entries, newest first', querystring: ledgerFilter.extend(pageQuery.shape), response: { 200: pageOf(entrySchema), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req) => k.member.ledger(memberOf(req).reseller.id, req.query as never),
  );

  app.get(
    '/ledger.csv',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: 'Mutasi as CSV (UTF-8 with BOM; times in the operator time zone)',
        querystring: ledgerFilter,
        produces: ['text/csv'],
        response: { 200: z.string().describe('CSV'), ...errors(400, ...SESSION_ERRORS) },
      },
    },
    async (req, reply) => {
      const csv = await k.member.ledgerCsv(memberOf(req).reseller.id, req.query as never, k.config.timeZone);
      return sendCsv(reply, csv, 'mutasi.csv');
    },
  );
}

/** A streamed CSV download; the serializer is bypassed (the body is a stream). */
export function sendCsv(reply: import('fastify').FastifyReply, csv: AsyncGenerator<string>, filename: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .serializer((x: unknown) => x as string)
    .send(Readable.from(csv));
}
