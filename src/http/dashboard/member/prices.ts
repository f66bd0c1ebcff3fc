import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS } from '../schemas.js';
import { sendCsv } from './ledger.js';

const tags = ['member: prices'];
const filter = z.object({ q: z.string().trim().max(100).optional(), category: z.string().max(200).optional() });
const priceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    code: z.string(),
    logo: z.string().nullable(),
    price: z.number().int(),
    active: z.boolean(),
    categoryType: z.string(),
    categoryTitle: z.string(),
    categorySubtitle: z.string().nullable(),
  })
  .meta({ id: 'MemberPrice' });

/** The price list of the reseller's tier, and its CSV. */
export function memberPriceRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/prices',
    {
      onRequest: requireMember,
      schema: { tags, summary: "The reseller's tier prices (search by name or code, filter by category)", querystring: filter, response: { 200: z.object({ items: z.array(priceSchema), categories: z.array(z.string()) }), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req) => k.member.prices(memberOf(req).reseller.id, req.query),
  );
  app.get(
    '/prices.csv',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'The price list as CSV (UTF-8 with BOM)', querystring: filter, produces: ['text/csv'], response: { 200: z.string().describe('CSV'), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req, reply) => sendCsv(reply, await k.member.pricesCsv(memberOf(req).reseller.id, req.query), 'harga.csv'),
  );
}
