import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kios } from '../../app.js';
import { KiosError } from '../../domain/errors.js';
import { parseOrderInput } from '../../domain/order-input.js';
import { splitDestination } from '../../otomax/destination.js';
import { createdLine, errorLine, pipeDest, statusLine, userLine } from '../../otomax/lines.js';
import { IpNotWhitelistedError, type AuthenticatedReseller } from '../../resellers/service.js';
import { logged } from '../errors.js';
import { guarded, type HttpLimits } from '../limits.js';

/**
 * The Otomax H2H channel (RULINGS section 2): one GET per transaction, authenticated by the
 * `apikey` query parameter, answered with one `text/plain` line and always HTTP 200. It is the
 * same order pipeline, ledger and idempotency as the JSON API; only the rendering differs.
 */
type Version = 'v1' | 'v2' | 'v3';

export async function otomaxRoutes(app: FastifyInstance, k: Kios, limits: HttpLimits): Promise<void> {
  app.addHook('onRequest', async (req) => {
    req.reseller = await guarded(limits.unknownKeys, req.ip, () => k.resellers.authenticate(queryString(req.query, 'apikey'), req.ip));
  });
  await app.register(rateLimit, {
    ...limits.store,
    max: k.config.rateLimitMax,
    timeWindow: k.config.rateLimitWindowMs,
    hook: 'preParsing',
    keyGenerator: (req) => req.reseller?.id ?? req.ip,
    errorResponseBuilder: () => new KiosError('TOO_MANY_REQUESTS'),
  });

  app.setErrorHandler(async (err, req, reply) => {
    const e = logged(req, err);
    let line: string;
    try {
      line = await errorReply(k, req, e);
    } catch (replyErr) {
      // Rendering the error line needs the database; if that fails too, the code alone.
      logged(req, replyErr);
      line = e.code;
    }
    return text(reply, line);
  });

  for (const version of ['v1', 'v2', 'v3'] as const) {
    // No automatic HEAD route: a HEAD (link checkers, monitors, proxies) would place and charge
    // an order whose reply line nobody can read, since HEAD answers carry no body.
    app.get(`/${version}/otomax/order`, { exposeHeadRoute: false }, async (req, reply) => {
      const q = queryObject(req.query);
      const combined = version !== 'v1';
      const input = parseOrderInput(q, { trxRequired: true, combinedDestination: combined });
      const result = await k.orders.place(me(req), input, {
        channel: 'otomax',
        onDuplicateTrx: version === 'v3' ? 'return-existing' : 'reject',
        combinedDestination: combined,
      });
      return text(reply, result.created ? createdLine(result.order, result.balance) : statusLine(result.order, result.balance));
    });
  }

  app.get<{ Params: { invoice_number: string } }>('/v1/otomax/status/:invoice_number', async (req, reply) => {
    const reseller = me(req);
    const order = await k.orders.findByInvoice(reseller.id, req.params.invoice_number);
    if (!order) throw new KiosError('INVOICE_NOT_FOUND');
    return text(reply, statusLine(order, await k.orders.balanceOf(reseller.id)));
  });

  app.get('/v1/otomax/user', async (req, reply) => {
    const r = me(req);
    return text(reply, userLine({ name: r.name, email: r.email, roleName: r.roleName, balance: r.balance }));
  });
}

/**
 * The reply to a refused request. Order routes echo the request in the documented error line,
 * with `{dest}` rendered as the created line would have rendered it (`user|server` once the
 * product's category says how to split it, else what the caller sent).
 */
async function errorReply(k: Kios, req: FastifyRequest, e: KiosError): Promise<string> {
  if (e.code === 'API_KEY_NOT_FOUND') return e.code;
  const version = /^\/(v[123])\/otomax\/order(?:[/?]|$)/.exec(req.url)?.[1] as Version | undefined;
  // RULINGS section 2: only a bad API key is answered by its code alone. A caller off the
  // whitelist gets the error line like any other refusal, with its key owner's balance.
  const caller = req.reseller ?? (e instanceof IpNotWhitelistedError ? e.caller : undefined);
  if (!version || !caller) return e.code;
  const q = queryObject(req.query);
  // Echoed as sent, except commas (valid in no field): the line's first `, status ` must be the
  // one kios writes, not one typed into a destination, so a parser never reads a refused order
  // as `status SUCCESS`.
  const str = (name: string) => (typeof q[name] === 'string' ? (q[name] as string).trim().slice(0, 100).replace(/,/g, ' ') : '');
  const trxId = str('trx_id');

  // v3: a reused trx_id is a status check "whatever the other fields say" (RULINGS section 2).
  // Whatever refused this request (a field that no longer validates, the rate limit, a race),
  // a FAILED line for a trx_id that already has an order would make Otomax fail (and refund) a
  // transaction kios is fulfilling or has fulfilled: answer that order's status line instead.
  // Not for a caller off the whitelist, which is told nothing about orders.
  if (version === 'v3' && req.reseller && trxId) {
    const existing = await k.orders.findByTrx(req.reseller.id, trxId);
    if (existing) return statusLine(existing, await k.orders.balanceOf(req.reseller.id));
  }

  let balance: number;
  try {
    balance = await k.orders.balanceOf(caller.id);
  } catch {
    balance = caller.balance;
  }
  return errorLine({
    trxId,
    productCode: str('product_code'),
    dest: await errorDest(k, version, str('product_code'), str('user_id'), str('server_id') || null, caller.roleCode),
    code: e.code,
    balance,
  });
}

/** `{dest}` of an error line: the created line's form where the product is known, else the input. */
async function errorDest(k: Kios, version: Version, productCode: string, userId: string, serverId: string | null, roleCode: string): Promise<string> {
  const product = productCode ? await k.catalog.findForOrder(productCode, roleCode).catch(() => null) : null;
  if (version === 'v1') return pipeDest(userId, product && !product.category.needsServer ? null : serverId);
  const split = product && userId ? splitDestination(userId, product.category) : null;
  return split && split.userId ? pipeDest(split.userId, split.serverId) : userId;
}

export function isOtomaxPath(url: string): boolean {
  return /^\/v\d+\/otomax(?:[/?]|$)/.test(url);
}

export function text(reply: FastifyReply, line: string): FastifyReply {
  return reply.code(200).type('text/plain; charset=utf-8').send(line);
}

function me(req: FastifyRequest): AuthenticatedReseller {
  if (!req.reseller) throw new KiosError('API_KEY_NOT_FOUND');
  return req.reseller;
}

function queryObject(query: unknown): Record<string, unknown> {
  return query && typeof query === 'object' ? (query as Record<string, unknown>) : {};
}

function queryString(query: unknown, name: string): string | undefined {
  const v = queryObject(query)[name];
  return typeof v === 'string' ? v : undefined;
}
