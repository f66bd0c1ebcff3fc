import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, pageOf, pageQuery, SESSION_ERRORS } from '../schemas.js';

const tags = ['member: redeem'];
const stats = z.object({ pending: z.number().int(), success: z.number().int(), process: z.number().int(), error_engine: z.number().int(), error_voucher: z.number().int() });
const projectSchema = z
  .object({ projectId: z.string(), total: z.number().int(), fee: z.number().int(), status: z.string(), stats, createdAt: z.number().int(), completedAt: z.number().int().nullable() })
  .meta({ id: 'MemberRedeemProject' });
const voucherSchema = z.object({ n: z.number().int(), code: z.string().describe('partly masked'), status: z.string(), nominal: z.number().int(), note: z.string(), updatedAt: z.number().int() });

/** Voucher-redeem projects (issue 9) of the reseller. */
export function memberRedeemRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/redeem/projects',
    { onRequest: requireMember, schema: { tags, summary: 'Redeem projects, newest first', querystring: pageQuery, response: { 200: pageOf(projectSchema), ...errors(400, ...SESSION_ERRORS) } } },
    async (req) => k.member.redeemProjects(memberOf(req).reseller.id, req.query),
  );
  app.get(
    '/redeem/projects/:id',
    {
      onRequest: requireMember,
      schema: {
        tags,
        summary: "One project and a page of its vouchers (codes partly masked), last submitted first",
        params: z.object({ id: z.string().min(1).max(64) }),
        querystring: pageQuery,
        response: { 200: z.object({ project: projectSchema, vouchers: z.array(voucherSchema), nextCursor: z.string().nullable() }), ...errors(400, 404, ...SESSION_ERRORS) },
      },
    },
    async (req) => k.member.redeemProject(memberOf(req).reseller.id, req.params.id, req.query),
  );
}
