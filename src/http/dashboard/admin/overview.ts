import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { ORDER_STATUSES } from '../../../domain/order-status.js';
import { requireOperator, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS } from '../schemas.js';

const day = z
  .object({
    date: z.string().describe('YYYY-MM-DD in the operator time zone'),
    start: z.number().int(),
    end: z.number().int(),
    orders: z.number().int(),
    byStatus: z.record(z.string(), z.number().int()),
    successful: z.number().int().describe('SUCCESS and PARTIAL_SUCCESS'),
    revenue: z.number().int().describe('what resellers paid for delivered orders, net of refunds'),
    cost: z.number().int().describe("the delivering attempt's route cost"),
    margin: z.number().int(),
    costUnknown: z.number().int().describe('delivered orders whose route has no cost'),
  })
  .meta({ id: 'OverviewDay' });

export const ledgerVerificationSchema = z.object({ ok: z.boolean(), violations: z.number().int(), at: z.number().int() }).meta({ id: 'LedgerVerification' });

const overview = z
  .object({
    timeZone: z.string(),
    now: z.number().int(),
    statuses: z.array(z.enum(ORDER_STATUSES)),
    today: day,
    days: z.array(day),
    pending: z.object({ count: z.number().int(), oldestCreatedAt: z.number().int().nullable(), oldestAgeMs: z.number().int().nullable() }),
    suppliers: z.array(z.object({ id: z.string(), name: z.string(), active: z.boolean(), balance: z.number().int().nullable(), error: z.string().nullable(), checkedAt: z.number().int().nullable() })),
    failingCallbacks: z.number().int(),
    ledger: ledgerVerificationSchema.nullable(),
  })
  .meta({ id: 'Overview' });

/** Today at a glance (every operator). */
export function adminOverviewRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/overview',
    {
      onRequest: requireOperator(),
      schema: { tags: ['admin: operations'], summary: 'Today at a glance and the last 7 days, in the operator time zone', response: { 200: overview, ...errors(...SESSION_ERRORS) } },
    },
    async () => ({ ...(await k.operations.overview.get(k.config.timeZone)), statuses: [...ORDER_STATUSES] }),
  );
}
