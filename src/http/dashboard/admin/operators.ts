import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { OPERATOR_ROLES } from '../../../operators/service.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { emailSchema, errors, operatorSchema, pageOf, pageQuery, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: operators'];
const operatorRow = operatorSchema.extend({ active: z.boolean(), disabled: z.boolean(), createdAt: z.number().int() }).meta({ id: 'OperatorRow' });

/** Owners manage operators and read the audit log. */
export function adminOperatorRoutes(app: DashboardApp, k: Kios): void {
  const owner = requireOperator({ owner: true });

  app.get('/operators', { onRequest: owner, schema: { tags, summary: 'List operators (owners only)', response: { 200: z.object({ items: z.array(operatorRow) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: await k.operators.list(),
  }));

  app.post(
    '/operators',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Invite an operator: returns its one-time set-up link (owners only)',
        body: z.object({ email: emailSchema, name: z.string().trim().min(1).max(100).optional(), role: z.enum(OPERATOR_ROLES) }),
        response: { 200: z.object({ operator: operatorRow, setupUrl: z.string(), expiresAt: z.number().int() }), ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => k.operators.create(req.body, actorOf(req)),
  );

  // What `kios admin disable|link|reset-totp` do, from the dashboard; each is audited by the service.
  const params = z.object({ id: z.string().min(1).max(100) });
  const action = (path: string, summary: string, response: z.ZodType, run: (id: string, req: Parameters<typeof actorOf>[0]) => Promise<unknown>) =>
    app.post(
      `/operators/:id/${path}`,
      { onRequest: owner, schema: { tags, summary, params, response: { 200: response, ...errors(...WRITE_ERRORS, 404, 409) } } },
      async (req) => run(req.params.id, req),
    );
  const one = z.object({ operator: operatorRow });
  action('disable', 'Disable an operator: logged out everywhere, cannot log in (not yourself, not the last owner: 409)', one, async (id, req) => ({
    operator: await k.operators.disable(id, actorOf(req)),
  }));
  action('reset-totp', "Remove an operator's second factor (a lost phone); its sessions end", one, async (id, req) => ({ operator: await k.operators.resetTotp(id, actorOf(req)) }));
  action('link', 'A new one-time set-up link (forgotten password); earlier links stop working', z.object({ setupUrl: z.string(), expiresAt: z.number().int() }), async (id, req) => {
    const link = await k.operators.issueSetupLink(id, actorOf(req));
    return { setupUrl: link.url, expiresAt: link.expiresAt };
  });

  const entry = z
    .object({
      id: z.string(),
      at: z.number().int(),
      actor: z.object({ type: z.enum(['operator', 'cli', 'member']), id: z.string().nullable(), email: z.string().nullable(), ip: z.string().nullable().optional() }),
      action: z.string(),
      target: z.object({ type: z.string(), id: z.string().nullable() }),
      before: z.unknown(),
      after: z.unknown(),
      reason: z.string().nullable(),
    })
    .meta({ id: 'AuditEntry' });

  const auditQuery = pageQuery.extend({
    actor: z.string().max(200).optional().describe("an operator's id or email"),
    action: z.string().max(100).optional().describe('e.g. order.refund'),
    target: z.string().max(200).optional().describe("the target's id, e.g. an invoice number"),
  });

  app.get(
    '/audit',
    { onRequest: owner, schema: { tags, summary: 'The audit log, newest first (owners only)', querystring: auditQuery, response: { 200: pageOf(entry), ...errors(400, ...SESSION_ERRORS) } } },
    async (req) => k.audit.list(req.query),
  );
}
