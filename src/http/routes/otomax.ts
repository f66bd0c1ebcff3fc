import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kios } from '../../app.js';
import { KiosError } from '../../domain/errors.js';
import { parseOrderInput } from '../../domain/order-input.js';
import { createdLine, errorLine, pipeDest, statusLine, userLine } from '../../otomax/lines.js';
import type { AuthenticatedReseller } from '../../resellers/service.js';
import { logged } from '../errors.js';

/**
 * The Otomax H2H channel (RULINGS section 2): one GET per transaction, authenticated by the
 * `apikey` query parameter, answered with one `text/plain` line and always HTTP 200. It is the
 * same order pipeline, ledger and idempotency as the JSON API; only the rendering differs.
 */
type Version = 'v1' | 'v2' | 'v3';

export async function otomaxRoutes(app: FastifyInstance, k: Kios): Promise<void> {
  app.addHook('onRequest', async (req) => {
    req.reseller = await k.resellers.authenticate(queryString(req.query, 'apikey'), req.ip);
  });
  await app.register(rateLimit, {
    max: k.config.rateLimitMax,
    timeWindow: k.config.rateLimitWindowMs,
    hook: 'preParsing',
    keyGenerator: (req) => req.reseller?.id ?? req.ip,
    errorResponseBuilder: () => new KiosError('TOO_MANY_REQUESTS'),
  });

  app.setErrorHandler(async (err, req, reply) => {
    const e = logged(req, err);
    return text(reply, await errorReply(k, req, e));
  });

  for (const version of ['v1', 'v2', 'v3'] as const) {
    app.get(`/${version}/otomax/order`, async (req, reply) => {
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

/** The reply to a refused request. Order routes echo the request in the documented error line. */
async function errorReply(k: Kios, req: FastifyRequest, e: KiosError): Promise<string> {
  if (e.code === 'API_KEY_NOT_FOUND' || !req.reseller) return e.code;
  const version = /^\/(v[123])\/otomax\/order(?:[/?]|$)/.exec(req.url)?.[1] as Version | undefined;
  if (!version) return e.code;
  const q = queryObject(req.query);
  const str = (name: string) => (typeof q[name] === 'string' ? (q[name] as string).slice(0, 100) : '');
  let balance: number | null = null;
  try {
    balance = await k.orders.balanceOf(req.reseller.id);
  } catch {
    balance = req.reseller.balance;
  }
  return errorLine({
    trxId: str('trx_id'),
    productCode: str('product_code'),
    dest: version === 'v1' ? pipeDest(str('user_id'), str('server_id') || null) : str('user_id'),
    code: e.code,
    balance,
  });
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
