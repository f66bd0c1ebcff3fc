import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { actorOf, memberOf, requireMember, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['member: whitelist'];
const listSchema = z.object({ entries: z.array(z.string()), yourIp: z.string().describe('the address this request came from (behind TRUST_PROXY, the forwarded client)') });
const body = z.object({ entry: z.string().trim().min(1).max(64).describe('an IP address or CIDR range') });

/** Whitelist IP: the addresses the reseller API accepts this reseller's key from (empty: any). */
export function memberWhitelistRoutes(app: DashboardApp, k: Kios): void {
  app.get(
    '/whitelist',
    { onRequest: requireMember, schema: { tags, summary: 'The IP whitelist, and the caller\'s own address', response: { 200: listSchema, ...errors(...SESSION_ERRORS) } } },
    async (req) => ({ entries: memberOf(req).reseller.ipWhitelist, yourIp: req.ip }),
  );

  for (const [path, action, summary] of [
    ['/whitelist', 'add', 'Add an IP address or CIDR range'],
    ['/whitelist/remove', 'remove', 'Remove an entry'],
  ] as const) {
    app.post(
      path,
      { onRequest: requireMember, schema: { tags, summary, body, response: { 200: listSchema, ...errors(...WRITE_ERRORS) } } },
      async (req) => {
        const { reseller } = memberOf(req);
        const entries = await k.resellers.whitelist(reseller.id, action, req.body.entry);
        await k.audit.record(actorOf(req), `whitelist.${action}`, { type: 'reseller', id: reseller.id }, reseller.ipWhitelist, entries);
        return { entries, yourIp: req.ip };
      },
    );
  }
}
