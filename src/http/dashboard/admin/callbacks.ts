import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { requireOperator, type DashboardApp } from '../plugin.js';
import { errors, pageOf, pageQuery, SESSION_ERRORS } from '../schemas.js';

const failing = z
  .object({
    jobId: z.string(),
    invoiceNumber: z.string(),
    orderStatus: z.string(),
    resellerId: z.string(),
    resellerName: z.string(),
    target: z.string().describe('scheme, host and path; the query is never shown'),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    lastResponseCode: z.number().int().nullable(),
    nextRetryAt: z.number().int().nullable().describe('null once given up: only a resend sends it again'),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'FailingCallback' });

/** Callbacks that keep failing (resend is POST /orders/:invoice/resend-callback). */
export function adminCallbackRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/callbacks/failing',
    {
      onRequest: requireOperator(),
      schema: { tags: ['admin: operations'], summary: "Orders' latest callbacks whose last attempt failed, most recent first", querystring: pageQuery, response: { 200: pageOf(failing), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req) => k.operations.callbacks.list(req.query),
  );
}
