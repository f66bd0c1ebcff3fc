import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kios } from '../../app.js';
import type { InboundRequest } from '../../connectors/types.js';

/**
 * `POST|GET /suppliers/<name>/callback`: where suppliers report outcomes. Bodies are kept as the
 * exact text received (signatures are computed over it) and answered with a small JSON object:
 * 2xx when recorded, 4xx when refused (bad signature, unknown reference, junk: nothing changes),
 * 503 when kios cannot record it now (the supplier should retry). Never 500.
 */
export async function supplierCallbackRoutes(app: FastifyInstance, k: Kios): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => {
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ ok: false, message: 'malformed request' });
    req.log.error({ err }, 'supplier callback not recorded');
    return reply.code(503).send({ ok: false, message: 'not recorded, try again' });
  });

  const handler = async (req: FastifyRequest<{ Params: { name: string } }>, reply: import('fastify').FastifyReply) => {
    const r = await k.inboundCallbacks.receive(req.params.name, inbound(req));
    return reply.code(r.status).send(r.body);
  };
  app.post('/suppliers/:name/callback', handler);
  app.get('/suppliers/:name/callback', handler);
}

function inbound(req: FastifyRequest): InboundRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) if (typeof value === 'string') query[name] = value;
  return { method: req.method, headers, rawBody: typeof req.body === 'string' ? req.body : '', query, ip: req.ip };
}
