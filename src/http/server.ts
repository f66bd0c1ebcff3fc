import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kios } from '../app.js';
import { KiosError } from '../domain/errors.js';
import type { AuthenticatedReseller } from '../resellers/service.js';
import { errorBody, logged, sendJsonError, toKiosError } from './errors.js';
import { LoginThrottle } from '../auth/throttle.js';
import { registerApiReference } from './dashboard/openapi.js';
import { dashboardPlugin } from './dashboard/plugin.js';
import { createHttpLimits } from './limits.js';
import { maskUrl } from './request-log.js';
import { isOtomaxPath, otomaxRoutes, text } from './routes/otomax.js';
import { isRedeemPath, redeemApiRoutes, sendRedeemError } from './routes/redeem-api.js';
import { resellerApiRoutes } from './routes/reseller-api.js';
import { supplierCallbackRoutes } from './routes/supplier-callbacks.js';
import { answeredBeforeBodyEnd, drainUnreadBody } from './unread-body.js';
import { webRoutes } from './web.js';

declare module 'fastify' {
  interface FastifyRequest {
    reseller?: AuthenticatedReseller;
    /** The catalog version read with the caller's API key (reseller API only). */
    catalogVersion?: number;
  }
}

/**
 * Fastify: the fastest well-kept Node.js framework with schema-first validation and
 * encapsulated plugins, which lets the JSON API and the Otomax channel render the same errors
 * differently (JSON envelope vs one text line) without sharing a global error handler.
 */
export function buildHttpServer(k: Kios): FastifyInstance {
  const app = Fastify({
    loggerInstance: k.log as FastifyBaseLogger,
    // One access-log line per request, written by the onResponse hook below (with masked URLs).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: k.config.bodyLimit,
    // Fastify takes a hop count too, though its types only list the other forms.
    trustProxy: k.config.trustProxy as boolean | string[],
    // The protocol's own paths are case-sensitive and slash-exact; tolerate a trailing slash.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors: (err, req, reply) => sendError(req, reply, toKiosError(err)),
    // Requests Node's HTTP parser refuses (unknown method, malformed request line or header,
    // oversized headers) never reach Fastify's routing: answer them in the same envelope too.
    clientErrorHandler: clientError,
    // Slow clients: a request (headers and body) that has not arrived in time is answered 400 by
    // clientError, an idle keep-alive connection is closed. No socket inactivity timeout: it
    // would cut an order waiting on a supplier without an answer.
    requestTimeout: k.config.httpRequestTimeoutMs,
    keepAliveTimeout: k.config.httpKeepAliveTimeoutMs,
    connectionTimeout: 0,
    http: {
      headersTimeout: k.config.httpHeadersTimeoutMs,
      // Node checks both timeouts every 30 s by default, which would let a slow client hold its
      // connection up to 30 s past its deadline.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(Math.min(k.config.httpHeadersTimeoutMs, k.config.httpRequestTimeoutMs) / 4)),
    },
  });

  // Bodies: JSON (an empty body is an empty object, as POST /v1/products sends none), form-encoded
  // (what PHP clients often send) and, for clients that forget the content type, JSON if it parses.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => parseJsonBody(body as string, done));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    // `curl -d '{...}'` and many PHP clients label a JSON body as form data: read it as JSON.
    const text = stripBom(body as string);
    if (text.trimStart().startsWith('{')) return parseJsonBody(text, done);
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
  // fetch() sends text/plain when a client forgets the content type: JSON too, not a bare string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => parseJsonBody(body as string, done));

  // A client gets its 413 (or any refusal) even while it is still sending the body. Bodies a few
  // times the limit are what a mistaken client sends; beyond 16x (at least 16 MiB) it is abuse.
  app.addHook('onSend', drainUnreadBody(Math.max(16 * k.config.bodyLimit, 16 * 1024 * 1024)));

  // Stopping: Node closes the connections idle at that moment and waits for the others. A request
  // still in flight is answered, and its answer closes its connection; kept alive, that connection
  // would hold the stop until the client let go of it (a supplier's callback client, for one).
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (stopping) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', async (req, reply) => {
    const entry = { method: req.method, url: maskUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), reseller: req.reseller?.id, ip: req.ip };
    if (reply.statusCode >= 500) req.log.error(entry, 'request');
    else req.log.info(entry, 'request');
  });
  // The route pattern, never the URL: URLs carry API keys (Otomax) and invoice numbers, and
  // would make a series per order.
  app.addHook('onResponse', async (req, reply) => {
    k.metrics.observeRequest(req.is404 ? undefined : req.routeOptions.url, req.method, reply.statusCode, reply.elapsedTime);
  });

  app.setErrorHandler((err, req, reply) => sendError(req, reply, logged(req, err)));
  app.setNotFoundHandler((req, reply) => sendError(req, reply, new KiosError('ROUTE_NOT_FOUND')));

  // First: it documents every route registered after it.
  registerApiReference(app);

  app.get('/healthz', async () => {
    await k.db.kysely.selectFrom('meta').select('key').limit(1).execute();
    return { status: 'ok' };
  });

  app.register(async (suppliers) => supplierCallbackRoutes(suppliers, k));
  const limits = createHttpLimits(k.config, k.log);
  app.addHook('onClose', async () => limits.close());
  app.register(async (api) => resellerApiRoutes(api, k, limits));
  app.register(async (redeem) => redeemApiRoutes(redeem, k, limits));
  app.register(async (otomax) => otomaxRoutes(otomax, k, limits));
  // The dashboards' API (issue 10): its own validation, errors and cookies, scoped to /api.
  app.register(dashboardPlugin(k, new LoginThrottle({ redis: limits.store.redis, prefix: k.config.redisPrefix })), { prefix: '/api' });
  // The dashboards' pages (/member, /admin) and their built files (/assets).
  app.register(async (web) => webRoutes(web, k.log));
  return app;
}

/** Errors outside any route plugin: a JSON envelope, or the bare code as text on Otomax paths. */
function sendError(req: FastifyRequest, reply: FastifyReply, e: KiosError): FastifyReply {
  if (isRedeemPath(req.url) && e.code !== 'ROUTE_NOT_FOUND') return sendRedeemError(reply, e);
  return isOtomaxPath(req.url) ? text(reply, e.code) : sendJsonError(reply, e);
}

function clientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && !answeredBeforeBodyEnd(socket)) {
    const details = err.code === 'HPE_HEADER_OVERFLOW' ? 'the request headers are too large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'the request was not received in time' : 'the request is not valid HTTP';
    const body = JSON.stringify(errorBody(new KiosError('BAD_REQUEST', details)));
    socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function parseJsonBody(raw: string, done: (err: Error | null, value?: unknown) => void): void {
  // Windows tools often prefix UTF-8 with a byte-order mark; JSON.parse would refuse it.
  const body = stripBom(raw);
  if (body.trim() === '') return done(null, {});
  try {
    done(null, JSON.parse(body));
  } catch {
    done(new KiosError('BAD_REQUEST', 'the body is not valid JSON'));
  }
}
