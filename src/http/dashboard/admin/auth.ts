import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { OperatorView } from '../../../operators/service.js';
import { DashboardError, unusableLink } from '../errors.js';
import { actorOf, endSession, operatorOf, requireOperator, startSession, throttled, type DashboardApp } from '../plugin.js';
import { adminSessionSchema, emailSchema, errors, okSchema, passwordChangeBody, setupBody, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: auth'];
const sessionResponse = z.object({ session: adminSessionSchema });
const code = z.string().trim().regex(/^\d{6}$/, 'a 6-digit code');

/** Log-in (with the optional TOTP code), set-up, log-out and TOTP enrolment of operators. */
export function adminAuthRoutes(app: DashboardApp, k: Kios): void {
  const view = (csrfToken: string, o: OperatorView) => ({
    session: { csrfToken, timeZone: k.config.timeZone, operator: { id: o.id, name: o.name, email: o.email, role: o.role, totpEnabled: o.totpEnabled } },
  });
  const open = async (req: FastifyRequest, reply: FastifyReply, o: OperatorView) => view((await startSession(req, reply, 'admin', o.id)).csrfToken, o);
  const signedIn = requireOperator();

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with email, password and (when enabled) a TOTP code',
        description: '401 TOTP_REQUIRED: the password is right and the operator has TOTP on; send the code as `totp`.',
        body: z.object({ email: emailSchema, password: z.string().min(1).max(200), totp: z.string().trim().max(10).optional() }),
        response: { 200: sessionResponse, ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const operator = await throttled(req, `admin:${b.email}`, async () => {
        const r = await k.operators.login(b.email, b.password, b.totp);
        if (r.ok) return r.operator;
        if (r.reason === 'totp_required') throw new DashboardError('TOTP_REQUIRED', 'enter the code from the authenticator app');
        return null;
      });
      return open(req, reply, operator);
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
      const operator = await k.operators.setup(req.body.token, req.body.password);
      if (!operator) throw unusableLink('an owner');
      return open(req, reply, operator);
    },
  );

  app.get('/auth/session', { onRequest: signedIn, schema: { tags, summary: 'The current session', response: { 200: sessionResponse, ...errors(401, 403) } } }, async (req) =>
    view(operatorOf(req).session.csrfToken, operatorOf(req).operator),
  );

  app.post('/auth/logout', { onRequest: signedIn, schema: { tags, summary: 'Log out (ends the session)', response: { 200: okSchema, ...errors(...WRITE_ERRORS) } } }, async (req, reply) => {
    await endSession(req, reply, operatorOf(req).session, 'admin');
    return { ok: true as const };
  });

  app.post(
    '/auth/totp/enroll',
    {
      onRequest: signedIn,
      schema: {
        tags,
        summary: 'Start TOTP enrolment: a new secret to scan (effective once confirmed)',
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string(), qrSvg: z.string().describe('the otpauth URL as a QR code, SVG markup') }), ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => k.operators.enrollTotp(operatorOf(req).operator.id),
  );

  app.post(
    '/auth/totp/confirm',
    {
      onRequest: signedIn,
      schema: { tags, summary: 'Turn TOTP on with a code from the enrolled secret (other sessions end)', body: z.object({ code }), response: { 200: sessionResponse, ...errors(...WRITE_ERRORS, 409) } },
    },
    async (req) => {
      const { session, operator } = operatorOf(req);
      return view(session.csrfToken, await k.operators.confirmTotp(operator.id, req.body.code, session.id, actorOf(req)));
    },
  );

  app.post(
    '/auth/totp/disable',
    {
      onRequest: signedIn,
      schema: {
        tags,
        summary: 'Turn TOTP off (needs the password and a current code; other sessions end)',
        body: z.object({ password: z.string().min(1).max(200), code }),
        response: { 200: sessionResponse, ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => {
      const { session, operator } = operatorOf(req);
      const done = await k.operators.disableTotp(operator.id, req.body.password, req.body.code, session.id, actorOf(req));
      if (!done) throw new DashboardError('VALIDATION', 'the password or the code is wrong', [{ path: '', message: 'the password or the code is wrong' }]);
      return view(session.csrfToken, done);
    },
  );

  app.post(
    '/auth/password',
    {
      onRequest: signedIn,
      schema: { tags, summary: 'Change the password (the current one is checked like a log-in; other sessions end)', body: passwordChangeBody, response: { 200: okSchema, ...errors(...WRITE_ERRORS, 429) } },
    },
    async (req) => {
      const { session, operator } = operatorOf(req);
      await throttled(req, `admin:${operator.email}`, async () => ((await k.operators.changePassword(operator.id, req.body.current, req.body.next, session.id, actorOf(req))) ? true : null));
      return { ok: true as const };
    },
  );
}
