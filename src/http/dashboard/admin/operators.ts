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

  app.get(
    '/audit',
    { onRequest: owner, schema: { tags, summary: 'The audit log, newest first (owners only)', querystring: pageQuery, response: { 200: pageOf(entry), ...errors(400, ...SESSION_ERRORS) } } },
    async (req) => k.audit.list(req.query),
  );
}
