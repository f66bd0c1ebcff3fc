import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { verifyLedgerNow } from '../../../operations/actions.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';
import { ledgerVerificationSchema } from './overview.js';

const tags = ['admin: operations'];

/** The ledger verifier: its last recorded result, and a run now (every operator; it changes no money). */
export function adminLedgerRoutes(app: DashboardApp, k: Kios): void {
  const operator = requireOperator();
  app.get(
    '/ledger/verification',
    { onRequest: operator, schema: { tags, summary: "The ledger verifier's last result (null when it never ran)", response: { 200: z.object({ last: ledgerVerificationSchema.nullable() }), ...errors(...SESSION_ERRORS) } } },
    async () => ({ last: await k.operations.ledger.last() }),
  );
  app.post(
    '/ledger/verify',
    {
      onRequest: operator,
      schema: {
        tags,
        summary: 'Verify the ledger now and record the result',
        body: z.object({}).optional(),
        response: {
          200: z.object({ result: ledgerVerificationSchema.extend({ details: z.array(z.object({ kind: z.string(), subject: z.string(), detail: z.string() })) }) }),
          ...errors(...WRITE_ERRORS),
        },
      },
    },
    async (req) => ({ result: await verifyLedgerNow(k, actorOf(req)) }),
  );
}
