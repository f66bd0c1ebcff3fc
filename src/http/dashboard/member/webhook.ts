import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { actorOf, memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['member: webhook'];
const webhookSchema = z.object({ url: z.string().nullable() });

/** Webhook: the default callback URL (the private-network policy applies) and a test send. */
export function memberWebhookRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/webhook',
    { onRequest: requireMember, schema: { tags, summary: 'The callback URL', response: { 200: webhookSchema, ...errors(...SESSION_ERRORS) } } },
    async (req) => ({ url: memberOf(req).reseller.webhookUrl }),
  );

  app.put(
    '/webhook',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'Set the callback URL (null clears it)', body: z.object({ url: z.string().trim().max(2048).nullable() }), response: { 200: webhookSchema, ...errors(...WRITE_ERRORS) } },
    },
    async (req) => {
      const { reseller } = memberOf(req);
      const url = await k.resellers.setWebhook(reseller.id, req.body.url);
      await k.audit.record(actorOf(req), 'webhook.set', { type: 'reseller', id: reseller.id }, { url: reseller.webhookUrl }, { url });
      return { url };
    },
  );

  app.post(
    '/webhook/test',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: 'Send a signed test callback and report the answer',
        description: 'The payload has `test: true` and status `TEST`. `status` is null when no answer came; `error` says why.',
        body: z.object({}).optional(),
        response: {
          200: z.object({ url: z.string(), status: z.number().int().nullable(), body: z.string(), elapsedMs: z.number().int(), error: z.string().nullable() }),
          ...errors(...WRITE_ERRORS, 409),
        },
      },
    },
    async (req) => k.member.webhookTest.send(memberOf(req).reseller.id),
  );
}
