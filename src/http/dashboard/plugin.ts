import cookie from '@fastify/cookie';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kios } from '../../app.js';
import type { AuditActor } from '../../audit/log.js';
import type { Session } from '../../auth/sessions.js';
import type { LoginThrottle } from '../../auth/throttle.js';
import { plausibleToken, sameSecret } from '../../auth/tokens.js';
import type { SessionRealm } from '../../db/schema.js';
import type { OperatorView } from '../../operators/service.js';
import type { ResellerSummary } from '../../resellers/service.js';
import { adminAreas } from './admin/index.js';
import { DashboardError, sendDashboardError, toDashboardError } from './errors.js';
import { memberAreas } from './member/index.js';

/**
 * The dashboards' JSON API under /api: `/api/member/...` (a reseller's own data) and
 * `/api/admin/...` (operators). Everything here is scoped to this plugin, so the reseller API
 * and the Otomax channel keep their own validation, serialization and error bytes: the zod
 * compilers, the cookie parser, the `{"error":{...}}` envelope, and the guards.
 *
 * Request rules, in the order they are checked:
 * 1. a non-GET/HEAD request must say `Content-Type: application/json` (a cross-site form cannot,
 *    and a cross-site fetch that does needs a CORS preflight kios never grants): else 403 CSRF;
 * 2. a route behind a guard needs the realm's session cookie: else 401 UNAUTHENTICATED;
 * 3. a non-GET/HEAD request behind a guard must echo the session's token in `X-CSRF-Token`:
 *    else 403 CSRF. Nothing is parsed, validated or changed before these pass.
 * Only the cookie is looked at: an `Authorization` header (an API key) never opens a session.
 */
export type DashboardApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** One file per area (`member/<area>.ts`, `admin/<area>.ts`) exports one of these; list it in that folder's index.ts. */
export type DashboardArea = (app: DashboardApp, k: Kios) => void;

export const COOKIE: Record<SessionRealm, { name: string; path: string }> = {
  member: { name: 'kios_member', path: '/api/member' },
  admin: { name: 'kios_admin', path: '/api/admin' },
};

export interface MemberAuth {
  session: Session;
  reseller: ResellerSummary;
}
export interface OperatorAuth {
  session: Session;
  operator: OperatorView;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Dashboard scope only (undefined elsewhere). */
    dashboard: { kios: Kios; throttle: LoginThrottle };
  }
  interface FastifyRequest {
    memberAuth?: MemberAuth;
    operatorAuth?: OperatorAuth;
  }
}

export function dashboardPlugin(k: Kios, throttle: LoginThrottle) {
  return async (app: FastifyInstance): Promise<void> => {
    app.decorate('dashboard', { kios: k, throttle });
    await app.register(cookie);
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler((err, req, reply) => sendDashboardError(reply, toDashboardError(req, err)));
    app.setNotFoundHandler((_req, reply) => sendDashboardError(reply, new DashboardError('NOT_FOUND', 'no such dashboard route')));
    app.addHook('onRequest', async (req) => {
      if (isWrite(req) && req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
        throw new DashboardError('CSRF', 'send the request as JSON (Content-Type: application/json)');
      }
    });
    const zapp = app.withTypeProvider<ZodTypeProvider>();
    await zapp.register(async (member) => memberAreas.forEach((area) => area(member, k)), { prefix: '/member' });
    await zapp.register(async (admin) => adminAreas.forEach((area) => area(admin, k)), { prefix: '/admin' });
  };
}

function isWrite(req: FastifyRequest): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD';
}

/** The session of `realm` a request's cookie names, with the CSRF check of a write; throws 401/403. */
async function sessionOf(req: FastifyRequest, realm: SessionRealm): Promise<Session> {
  const token = req.cookies[COOKIE[realm].name];
  const session = plausibleToken(token) ? await req.server.dashboard.kios.sessions.lookup(realm, token) : null;
  if (!session) throw new DashboardError('UNAUTHENTICATED', 'log in first');
  if (isWrite(req)) {
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw new DashboardError('CSRF', 'the X-CSRF-Token header is missing or wrong: reload the page');
  }
  return session;
}

/** onRequest guard of every /api/member route but log-in and set-up: sets `req.memberAuth`. */
export async function requireMember(req: FastifyRequest): Promise<void> {
  const session = await sessionOf(req, 'member');
  const reseller = await req.server.dashboard.kios.resellers.get(session.subjectId).catch(() => null);
  // Disabling ends the sessions; this also covers one opened in the same instant.
  if (!reseller || reseller.disabledAt !== null) throw new DashboardError('UNAUTHENTICATED', 'log in first');
  req.memberAuth = { session, reseller };
}

/** onRequest guard of /api/admin routes: sets `req.operatorAuth`; `owner: true` refuses staff (403 FORBIDDEN). */
export function requireOperator(opts: { owner?: true } = {}) {
  return async (req: FastifyRequest): Promise<void> => {
    const session = await sessionOf(req, 'admin');
    const operator = await req.server.dashboard.kios.operators.get(session.subjectId).catch(() => null);
    if (!operator || operator.disabled) throw new DashboardError('UNAUTHENTICATED', 'log in first');
    if (opts.owner && operator.role !== 'owner') throw new DashboardError('FORBIDDEN', 'only an owner can do this');
    req.operatorAuth = { session, operator };
  };
}

/** The member of a guarded request (the guard ran, so it is there). */
export function memberOf(req: FastifyRequest): MemberAuth {
  if (!req.memberAuth) throw new Error('route is missing the requireMember guard');
  return req.memberAuth;
}

export function operatorOf(req: FastifyRequest): OperatorAuth {
  if (!req.operatorAuth) throw new Error('route is missing the requireOperator guard');
  return req.operatorAuth;
}

/** Who to write in the audit log for a guarded request. */
export function actorOf(req: FastifyRequest): AuditActor {
  if (req.operatorAuth) return { type: 'operator', id: req.operatorAuth.operator.id, email: req.operatorAuth.operator.email, ip: req.ip };
  if (req.memberAuth) return { type: 'member', id: req.memberAuth.reseller.id, email: req.memberAuth.reseller.email, ip: req.ip };
  throw new Error('route is missing a session guard');
}

/**
 * Opens a session after a log-in or set-up: the cookie (HttpOnly, SameSite=Lax, the realm's path,
 * Secure when the request came over HTTPS, as told by X-Forwarded-Proto behind TRUST_PROXY).
 * A session the request already carried ends: one browser, one session.
 */
export async function startSession(req: FastifyRequest, reply: FastifyReply, realm: SessionRealm, subjectId: string): Promise<Session> {
  const k = req.server.dashboard.kios;
  const old = req.cookies[COOKIE[realm].name];
  if (plausibleToken(old)) {
    const prior = await k.sessions.lookup(realm, old);
    if (prior) await k.sessions.delete(prior.id);
  }
  const { token, session } = await k.sessions.create(realm, subjectId, { ip: req.ip, userAgent: req.headers['user-agent'] });
  reply.setCookie(COOKIE[realm].name, token, { ...cookieOptions(req, realm), expires: new Date(session.expiresAt) });
  return session;
}

/** Ends the request's session (its row and its cookie). */
export async function endSession(req: FastifyRequest, reply: FastifyReply, session: Session, realm: SessionRealm): Promise<void> {
  await req.server.dashboard.kios.sessions.delete(session.id);
  reply.clearCookie(COOKIE[realm].name, cookieOptions(req, realm));
}

function cookieOptions(req: FastifyRequest, realm: SessionRealm) {
  return { path: COOKIE[realm].path, httpOnly: true, sameSite: 'lax' as const, secure: req.protocol === 'https' };
}

/** Log-in brute force: 429 before any hashing when over the limit (see src/auth/throttle.ts). */
export async function throttled<T>(req: FastifyRequest, account: string, attempt: () => Promise<T | null>): Promise<T> {
  const { throttle } = req.server.dashboard;
  if (!(await throttle.allowed(account, req.ip))) throw new DashboardError('TOO_MANY_REQUESTS', 'too many failed log-ins: wait 15 minutes');
  const result = await attempt();
  if (result === null) {
    await throttle.failed(account, req.ip);
    throw new DashboardError('INVALID_CREDENTIALS', 'the email or password is wrong');
  }
  await throttle.succeeded(account);
  return result;
}
