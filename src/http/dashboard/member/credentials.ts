import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { actorOf, memberOf, requireMember, throttled, type DashboardApp } from '../plugin.js';
import { errors, WRITE_ERRORS } from '../schemas.js';

const tags = ['member: credentials'];
const body = z.object({ password: z.string().min(1).max(200) });
const keyResponse = z.object({ apiKey: z.string() });

/**
 * Kredensial: the API key is shown, or replaced, only after the password is typed again, so a
 * session left open on a shared computer does not give the key away. Wrong passwords count
 * against the same per-account and per-IP limits as log-in (a stolen session cannot be used to
 * guess the password), and both actions are written in the audit log, the key never.
 */
export function memberCredentialRoutes(app: DashboardApp, k: Kios): void {
  const recheck = async (req: FastifyRequest, password: string) => {
    const { reseller } = memberOf(req);
    await throttled(req, `member:${reseller.email}`, async () => ((await k.members.login(reseller.email, password)) === reseller.id ? true : null));
    return reseller;
  };

  app.post(
    '/credentials/reveal',
    { onRequest: requireMember, schema: { tags, summary: 'Show the API key (re-enter the password)', body, response: { 200: keyResponse, ...errors(...WRITE_ERRORS, 429) } } },
    async (req) => {
      const reseller = await recheck(req, req.body.password);
      await k.audit.record(actorOf(req), 'credentials.reveal', { type: 'reseller', id: reseller.id }, null, null);
      return { apiKey: await k.resellers.apiKeyOf(reseller.id) };
    },
  );

  app.post(
    '/credentials/rotate',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'Replace the API key (re-enter the password); the old key stops working at once', body, response: { 200: keyResponse, ...errors(...WRITE_ERRORS, 429) } },
    },
    async (req) => {
      const reseller = await recheck(req, req.body.password);
      const apiKey = await k.resellers.rotateKey(reseller.id);
      await k.audit.record(actorOf(req), 'credentials.rotate', { type: 'reseller', id: reseller.id }, null, null);
      return { apiKey };
    },
  );
}
