import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { Order } from '../../../db/schema.js';
import { ORDER_STATUSES } from '../../../domain/order-status.js';
import { refundOrder, resendCallback, resolveOrder } from '../../../operations/actions.js';
import { orderHistory } from '../../../operations/order-history.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { errors, pageOf, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: orders'];

const adminOrder = z
  .object({
    invoiceNumber: z.string(),
    resellerId: z.string(),
    resellerName: z.string(),
    trxId: z.string().nullable(),
    channel: z.string(),
    productCode: z.string(),
    productName: z.string(),
    categoryTitle: z.string(),
    userId: z.string(),
    serverId: z.string().nullable(),
    nickname: z.string().nullable(),
    amount: z.number().int(),
    refundedAmount: z.number().int(),
    status: z.string(),
    ref: z.string(),
    sn: z.string().nullable(),
    voucher: z.string().nullable(),
    responseNote: z.string(),
    failureReason: z.string().nullable(),
    createdAt: z.number().int(),
    completedAt: z.number().int().nullable(),
  })
  .meta({ id: 'AdminOrder' });

function view(o: Order, resellerName: string): z.infer<typeof adminOrder> {
  return {
    invoiceNumber: o.invoice_number,
    resellerId: o.reseller_id,
    resellerName,
    trxId: o.trx_id,
    channel: o.channel,
    productCode: o.product_code,
    productName: o.product_name,
    categoryTitle: o.category_title,
    userId: o.user_id,
    serverId: o.server_id,
    nickname: o.nickname,
    amount: o.amount,
    refundedAmount: o.refunded_amount,
    status: o.status,
    ref: o.ref,
    sn: o.sn,
    voucher: o.voucher,
    responseNote: o.response_note,
    failureReason: o.failure_reason,
    createdAt: o.created_at,
    completedAt: o.completed_at,
  };
}

const history = z
  .object({
    order: adminOrder,
    events: z.array(z.object({ seq: z.number().int(), at: z.number().int(), type: z.string(), data: z.unknown() })),
    attempts: z.array(
      z.object({
        n: z.number().int(),
        supplierId: z.string(),
        sku: z.string(),
        cost: z.number().int().nullable(),
        ref: z.string(),
        supplierRef: z.string().nullable(),
        state: z.string(),
        reason: z.string().nullable(),
        request: z.unknown().describe('the exchanges of the purchase, secrets masked'),
        response: z.unknown().describe('the latest answer'),
        checks: z.number().int(),
        startedAt: z.number().int(),
        finishedAt: z.number().int().nullable(),
        durationMs: z.number().int().nullable(),
      }),
    ),
    callbacks: z.array(
      z.object({
        jobId: z.string(),
        status: z.string(),
        target: z.string(),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        nextRetryAt: z.number().int().nullable(),
        createdAt: z.number().int(),
        deliveries: z.array(z.object({ attempt: z.number().int(), startedAt: z.number().int(), durationMs: z.number().int(), responseCode: z.number().int().nullable(), outcome: z.string(), error: z.string().nullable() })),
      }),
    ),
    ledger: z.array(z.object({ id: z.string(), kind: z.string(), amount: z.number().int(), balanceAfter: z.number().int(), leg: z.string().nullable(), note: z.string().nullable(), createdAt: z.number().int() })),
  })
  .meta({ id: 'AdminOrderHistory' });

const listQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  invoice: z.string().trim().max(100).optional(),
  trxId: z.string().trim().max(100).optional(),
  destination: z.string().trim().max(100).optional().describe("the order's user id, exactly"),
  reseller: z.string().trim().max(200).optional().describe('reseller id or email'),
  status: z.enum(ORDER_STATUSES).optional(),
  from: z.coerce.number().int().min(0).optional().describe('created at or after (epoch ms)'),
  to: z.coerce.number().int().min(0).optional().describe('created before (epoch ms)'),
});

const params = z.object({ invoice: z.string().min(1).max(100) });
const reason = z.string().trim().min(1, 'give a reason').max(300);

/** Orders across resellers; resolve and resend for every operator, refund (moves money on the operator's word alone) for owners. */
export function adminOrderRoutes(app: DashboardApp, k: Kios): void {
  const operator = requireOperator();
  const owner = requireOperator({ owner: true });

  const names = async (ids: string[]) => {
    if (ids.length === 0) return new Map<string, string>();
    const rows = await k.db.kysely.selectFrom('resellers').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  };
  const one = async (o: Order) => view(o, (await names([o.reseller_id])).get(o.reseller_id) ?? '');

  app.get(
    '/orders',
    { onRequest: operator, schema: { tags, summary: 'Search orders across resellers, newest first', querystring: listQuery, response: { 200: pageOf(adminOrder), ...errors(400, ...SESSION_ERRORS) } } },
    async (req) => {
      const q = req.query;
      // An unknown reseller matches nothing (an empty page), like any other filter.
      const resellerId = q.reseller ? ((await k.resellers.get(q.reseller).catch(() => null))?.id ?? 'rs_none') : undefined;
      const page = await k.orderAdmin.list({ invoiceNumber: q.invoice || undefined, trxId: q.trxId || undefined, userId: q.destination || undefined, resellerId, status: q.status, from: q.from, to: q.to, limit: q.limit, cursor: q.cursor });
      const n = await names(page.orders.map((o) => o.reseller_id));
      return { items: page.orders.map((o) => view(o, n.get(o.reseller_id) ?? '')), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/orders/:invoice',
    { onRequest: operator, schema: { tags, summary: "One order's whole history: events, supplier attempts, callbacks, ledger legs", params, response: { 200: history, ...errors(...SESSION_ERRORS, 404) } } },
    async (req) => {
      const h = await orderHistory(k.db, req.params.invoice);
      return {
        order: view(h.order, h.resellerName),
        events: h.events,
        attempts: h.attempts.map((a) => ({
          n: a.n,
          supplierId: a.supplier_id,
          sku: a.sku,
          cost: a.cost,
          ref: a.ref,
          supplierRef: a.supplier_ref,
          state: a.state,
          reason: a.reason,
          request: a.request,
          response: a.response,
          checks: a.checks,
          startedAt: a.started_at,
          finishedAt: a.finished_at,
          durationMs: a.duration_ms,
        })),
        callbacks: h.callbacks,
        ledger: h.ledger.map((e) => ({ id: e.id, kind: e.kind, amount: e.amount, balanceAfter: e.balance_after, leg: e.order_leg, note: e.note, createdAt: e.created_at })),
      };
    },
  );

  app.post(
    '/orders/:invoice/resolve',
    {
      onRequest: operator,
      schema: {
        tags,
        summary: 'Settle a PENDING order by hand (success, failed, or partial with the rupiah to refund); 409 when it is no longer PENDING',
        params,
        body: z.object({ outcome: z.enum(['success', 'failed', 'partial']), reason, refund: z.number().int().positive().optional() }),
        response: { 200: z.object({ order: adminOrder }), ...errors(...WRITE_ERRORS, 404, 409) },
      },
    },
    async (req) => ({ order: await one(await resolveOrder(k, actorOf(req), req.params.invoice, req.body.outcome, req.body.reason, req.body.refund)) }),
  );

  app.post(
    '/orders/:invoice/refund',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Refund a SUCCESS order in full (owners only); 409 when it is not SUCCESS',
        params,
        body: z.object({ reason }),
        response: { 200: z.object({ order: adminOrder }), ...errors(...WRITE_ERRORS, 404, 409) },
      },
    },
    async (req) => ({ order: await one(await refundOrder(k, actorOf(req), req.params.invoice, req.body.reason)) }),
  );

  app.post(
    '/orders/:invoice/resend-callback',
    {
      onRequest: operator,
      schema: {
        tags,
        summary: "Send the order's latest callback again, now; 409 while a send is already due or when the order has no callback",
        params,
        body: z.object({}).optional(),
        response: {
          200: z.object({ callback: z.object({ jobId: z.string(), status: z.string(), attempts: z.number().int(), runAt: z.number().int(), lastError: z.string().nullable() }) }),
          ...errors(...WRITE_ERRORS, 404, 409),
        },
      },
    },
    async (req) => ({ callback: await resendCallback(k, actorOf(req), req.params.invoice) }),
  );
}
