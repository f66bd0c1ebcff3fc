import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { Session } from '../../../auth/sessions.js';
import type { ResellerSummary } from '../../../resellers/service.js';
import { unusableLink } from '../errors.js';
import { actorOf, endSession, memberOf, requireMember, startSession, throttled, type DashboardApp } from '../plugin.js';
import { emailSchema, errors, memberSessionSchema, okSchema, passwordChangeBody, setupBody, WRITE_ERRORS } from '../schemas.js';

const tags = ['member: auth'];
const sessionResponse = z.object({ session: memberSessionSchema });

/** Log-in, set-up (first password) and log-out of the reseller dashboard. */
export function memberAuthRoutes(app: DashboardApp, k: Kios): void {
  const view = (session: Session, r: ResellerSummary) => ({
    session: {
      csrfToken: session.csrfToken,
      timeZone: k.config.timeZone,
      reseller: { id: r.id, name: r.name, email: r.email, tier: { code: r.roleCode, name: r.roleName }, balance: r.balance },
    },
  });
  const open = async (req: FastifyRequest, reply: Parameters<typeof startSession>[1], resellerId: string) => view(await startSession(req, reply, 'member', resellerId), await k.resellers.get(resellerId));

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with email and password',
        body: z.object({ email: emailSchema, password: z.string().min(1).max(200) }),
        response: { 200: sessionResponse, ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const id = await throttled(req, `member:${req.body.email}`, () => k.members.login(req.body.email, req.body.password));
      return open(req, reply, id);
    },
  );

  app.post(
    '/auth/setup',
    {
      schema: {
        tags,
        summary: 'Choose a password through a one-time set-up link, and log in',
        body: setupBody,
        response: { 200: sessionResponse, ...errors(400, 403) },
      },
    },
    async (req, reply) => {
      const id = await k.members.setup(req.body.token, req.body.password);
      if (!id) throw unusableLink('the operator');
      return open(req, reply, id);
    },
  );

  app.get(
    '/auth/session',
    { onRequest: requireMember, schema: { tags, summary: 'The current session', response: { 200: sessionResponse, ...errors(401, 403) } } },
    async (req) => view(memberOf(req).session, memberOf(req).reseller),
  );

  app.post(
    '/auth/logout',
    { onRequest: requireMember, schema: { tags, summary: 'Log out (ends the session)', response: { 200: okSchema, ...errors(...WRITE_ERRORS) } } },
    async (req, reply) => {
      await endSession(req, reply, memberOf(req).session, 'member');
      return { ok: true as const };
    },
  );

  app.post(
    '/auth/password',
    {
      onRequest: requireMember,
      schema: { tags, summary: 'Change the password (the current one is checked like a log-in; other sessions end)', body: passwordChangeBody, response: { 200: okSchema, ...errors(...WRITE_ERRORS, 429) } },
    },
    async (req) => {
      const { session, reseller } = memberOf(req);
      await throttled(req, `member:${reseller.email}`, async () => ((await k.members.changePassword(reseller.id, req.body.current, req.body.next, session.id, actorOf(req))) ? true : null));
      return { ok: true as const };
    },
  );
}
