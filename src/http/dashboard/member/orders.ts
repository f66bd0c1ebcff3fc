import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { ORDER_STATUSES } from '../../../domain/order-status.js';
import { memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, pageOf, pageQuery, SESSION_ERRORS } from '../schemas.js';
import { rangeQuery } from './ledger.js';

const tags = ['member: orders'];

export const memberOrderSchema = z
  .object({
    invoice: z.string(),
    trxId: z.string().nullable(),
    channel: z.string(),
    productCode: z.string(),
    productName: z.string(),
    category: z.string(),
    userId: z.string(),
    serverId: z.string().nullable(),
    nickname: z.string().nullable(),
    price: z.number().int(),
    amount: z.number().int(),
    status: z.string(),
    responseNote: z.string(),
    sn: z.string().nullable(),
    voucher: z.string().nullable(),
    refundedAmount: z.number().int(),
    createdAt: z.number().int(),
    completedAt: z.number().int().nullable(),
  })
  .meta({ id: 'MemberOrder' });

const historySchema = z.object({ at: z.number().int(), type: z.string(), from: z.string().nullable(), to: z.string().nullable(), reason: z.string().nullable() });

/** The reseller's orders: search, filters, one order with its status history. */
export function memberOrderRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/orders',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: 'Orders, newest first; q matches an invoice number, a trx_id or a destination exactly',
        querystring: rangeQuery.extend({ q: z.string().trim().max(100).optional(), status: z.enum(ORDER_STATUSES).optional() }).extend(pageQuery.shape),
        response: { 200: pageOf(memberOrderSchema), ...errors(400, ...SESSION_ERRORS) },
      },
    },
    async (req) => k.member.orders(memberOf(req).reseller.id, req.query),
  );

  app.get(
    '/orders/:invoice',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: 'One order and its status history',
        params: z.object({ invoice: z.string().min(1).max(100) }),
        response: { 200: z.object({ order: memberOrderSchema, history: z.array(historySchema) }), ...errors(400, 404, ...SESSION_ERRORS) },
      },
    },
    async (req) => k.member.order(memberOf(req).reseller.id, req.params.invoice),
  );
}
