import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kios } from '../../app.js';
import type { RedeemVoucher } from '../../db/schema.js';
import { KiosError } from '../../domain/errors.js';
import { IpNotWhitelistedError, type AuthenticatedReseller } from '../../resellers/service.js';
import { MAX_CODE_LENGTH, MAX_CODES, type ProjectPage } from '../../redeem/service.js';
import { guarded, type HttpLimits } from '../limits.js';

/**
 * Bulk voucher-redeem projects in APIGames's shape (issue 9, RULINGS section 3), byte-compatible
 * with `apigames-kiosgamer-project-detail.txt`:
 * - `POST /merchant/:merchant_id/kiosgamer/redem/bulk` `{kode_voucher, session_key?, signature}`;
 * - `POST /merchant/:merchant_id/kiosgamer/project/detail` `{projectid, status, page, limit, signature}`.
 * Success `{status: 1, rc: 200, message, data, ts}`; errors `{status: 0, rc, error_msg}` with the
 * document's messages. `signature` is md5(merchant_id + secret_key), the secret key being the
 * reseller's API key. Every answer in this envelope is HTTP 200 (the body's `rc` says what
 * happened, and PHP clients that stop at a non-2xx would never see `error_msg`), except the
 * transport's own refusals: 413 (body too large) and 429 (rate limit), in the same envelope.
 * Nothing is stored unless the whole request is valid.
 */

export const MESSAGES = {
  invalidJson: 'Data JSON tidak valid',
  merchantNotFound: 'Merchant not found',
  badSignature: 'Signature Not Valid',
  projectNotFound: 'Project ID tidak ditemukan',
} as const;

/** Room for 10,000 codes of the longest length, base64-encoded, whatever BODY_LIMIT says. */
export const REDEEM_BODY_LIMIT = 2 * 1024 * 1024;
const MAX_LIMIT = 1000;
const CODE = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CODE_LENGTH}}$`);

class RedeemError extends Error {
  constructor(
    readonly rc: number,
    readonly errorMsg: string,
    readonly httpStatus = 200,
  ) {
    super(errorMsg);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    redeemKey?: string;
  }
}

/** Whether a request that failed before routing (a malformed URL) was meant for this API. */
export function isRedeemPath(url: string): boolean {
  return /^\/merchant\/[^/?]*\/kiosgamer\//.test(url);
}

/** A refusal made outside the routes (framework errors), in this API's envelope. */
export function sendRedeemError(reply: FastifyReply, e: KiosError): FastifyReply {
  return sendError(reply, e.code === 'PAYLOAD_TOO_LARGE' ? new RedeemError(413, MESSAGES.invalidJson, 413) : e.code === 'TOO_MANY_REQUESTS' ? new RedeemError(429, 'Too many requests', 429) : new RedeemError(400, MESSAGES.invalidJson));
}

export async function redeemApiRoutes(app: FastifyInstance, k: Kios, limits: HttpLimits): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof RedeemError) return sendError(reply, err);
    if (err instanceof IpNotWhitelistedError) return sendError(reply, new RedeemError(403, 'IP address not whitelisted'));
    if (err instanceof KiosError) {
      if (err.code === 'TOO_MANY_REQUESTS') return sendError(reply, new RedeemError(429, 'Too many requests', 429));
      if (err.code === 'PAYLOAD_TOO_LARGE') return sendError(reply, new RedeemError(413, MESSAGES.invalidJson, 413));
      if (err.code !== 'SERVER_ERROR') return sendError(reply, new RedeemError(400, MESSAGES.invalidJson));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 413) return sendError(reply, new RedeemError(413, MESSAGES.invalidJson, 413));
    if (status === 429) return sendError(reply, new RedeemError(429, 'Too many requests', 429));
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, new RedeemError(400, MESSAGES.invalidJson));
    req.log.error({ err }, 'unexpected error in the redeem API');
    return sendError(reply, new RedeemError(500, 'Server error', 500));
  });

  // The merchant id in the path names the caller: looked up (behind the unknown-key guard, as API
  // keys are) before the body is read; its IP whitelist applies as on the JSON API.
  app.addHook('onRequest', async (req) => {
    const mid = (req.params as { merchant_id?: unknown }).merchant_id;
    const found = await guarded(limits.unknownKeys, req.ip, async () => {
      const r = typeof mid === 'string' ? await k.resellers.authenticateMerchant(mid, req.ip) : null;
      if (!r) throw new KiosError('API_KEY_NOT_FOUND');
      return r;
    }).catch((err: unknown) => {
      if (err instanceof KiosError && err.code === 'API_KEY_NOT_FOUND') throw new RedeemError(500, MESSAGES.merchantNotFound);
      throw err;
    });
    req.reseller = found.reseller;
    req.redeemKey = found.apiKey;
  });
  await app.register(rateLimit, {
    ...limits.store,
    max: k.config.rateLimitMax,
    timeWindow: k.config.rateLimitWindowMs,
    hook: 'preParsing',
    keyGenerator: (req) => `redeem:${req.reseller?.id ?? req.ip}`,
    errorResponseBuilder: () => new KiosError('TOO_MANY_REQUESTS'),
  });

  const bodyLimit = Math.max(k.config.bodyLimit, REDEEM_BODY_LIMIT);

  app.post<{ Params: { merchant_id: string } }>('/merchant/:merchant_id/kiosgamer/redem/bulk', { bodyLimit }, async (req) => {
    const { reseller, body } = signed(req);
    const codes = parseCodes(body.kode_voucher);
    const sessionKey = optionalText(body.session_key, 1000);
    const p = await k.redeem.createProject(reseller, codes, sessionKey);
    return ok('Bulk Redem Kiosgamer', {
      id: p.seq,
      merchant_id: req.params.merchant_id,
      project_id: p.projectId,
      total_voucher: p.total,
      stats: p.stats,
    });
  });

  app.post<{ Params: { merchant_id: string } }>('/merchant/:merchant_id/kiosgamer/project/detail', async (req) => {
    const { reseller, body } = signed(req);
    const projectId = requiredText(body.projectid, 64);
    const status = parseStatus(body.status);
    const page = positiveInt(body.page, 1, 1_000_000);
    const limit = positiveInt(body.limit, 30, MAX_LIMIT);
    const project = await k.redeem.find(reseller.id, projectId);
    if (!project) throw new RedeemError(500, MESSAGES.projectNotFound);
    const result = await k.redeem.page(project, { status, page, limit });
    return ok('List Voucher Redem Kiosgamer', detailView(req.params.merchant_id, page, result));
  });
}

/** The `data` of a project-detail answer, keys in the document's order (`cretaed_at` as published). */
export function detailView(merchantId: string, page: number, r: ProjectPage) {
  return {
    current_page: page,
    data: {
      id: Number(r.project.seq),
      merchant_id: merchantId,
      project_id: r.project.project_id,
      total_voucher: r.project.total,
      vouchers: r.vouchers.map((v) => voucherView(r.project.project_id, v)),
      kategori_voucher: r.nominals.map((n) => ({ name: String(n.nominal), total: n.total })),
      stats: r.stats,
    },
    total_data: r.totalData,
    total_page: r.totalPage,
  };
}

function voucherView(projectId: string, v: RedeemVoucher) {
  const created = wib(v.created_at);
  return {
    id: Number(v.id),
    project_id: projectId,
    voucher_code: v.code,
    response_json: v.response_json,
    note: v.note,
    nominal_gs: v.nominal_gs,
    created: created.slice(0, 10),
    cretaed_at: created,
    updated_at: wib(v.updated_at),
    status: v.status,
  };
}

/** `2024-08-15 14:32:18` in WIB (UTC+7, no daylight saving): APIGames is an Indonesian service. */
export function wib(at: number): string {
  return new Date(at + 7 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function ok<T>(message: string, data: T) {
  return { status: 1, rc: 200, message, data, ts: Math.floor(Date.now() / 1000) };
}

function sendError(reply: FastifyReply, e: RedeemError): FastifyReply {
  return reply.code(e.httpStatus).type('application/json; charset=utf-8').send({ status: 0, rc: e.rc, error_msg: e.errorMsg });
}

/** The body as an object, its signature checked: md5(merchant_id + secret_key). */
function signed(req: FastifyRequest<{ Params: { merchant_id: string } }>): { reseller: AuthenticatedReseller; body: Record<string, unknown> } {
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RedeemError(400, MESSAGES.invalidJson);
  const b = body as Record<string, unknown>;
  if (typeof b.signature !== 'string' || b.signature.length === 0 || b.signature.length > 128) throw new RedeemError(400, MESSAGES.invalidJson);
  const expected = Buffer.from(createHash('md5').update(`${req.params.merchant_id}${req.redeemKey ?? ''}`, 'utf8').digest('hex'));
  const given = Buffer.from(b.signature.trim().toLowerCase());
  if (!req.reseller || !req.redeemKey || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new RedeemError(500, MESSAGES.badSignature);
  return { reseller: req.reseller, body: b };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `kode_voucher`: base64 of the codes joined by newlines (CRLF, blank lines and spaces around codes tolerated). */
export function parseCodes(v: unknown): string[] {
  if (typeof v !== 'string' || v.length === 0 || v.length > REDEEM_BODY_LIMIT) throw new RedeemError(400, MESSAGES.invalidJson);
  const compact = v.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw new RedeemError(400, MESSAGES.invalidJson);
  const bytes = Buffer.from(compact, 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RedeemError(400, MESSAGES.invalidJson);
  }
  const codes = text
    .split(/\r?\n|\r/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (codes.length === 0 || codes.length > MAX_CODES) throw new RedeemError(400, MESSAGES.invalidJson);
  for (const c of codes) if (!CODE.test(c)) throw new RedeemError(400, MESSAGES.invalidJson);
  return codes;
}

function requiredText(v: unknown, max: number): string {
  if (typeof v !== 'string' && typeof v !== 'number') throw new RedeemError(400, MESSAGES.invalidJson);
  const s = String(v).trim();
  if (s.length === 0 || s.length > max || /[\u0000-\u001f]/.test(s)) throw new RedeemError(400, MESSAGES.invalidJson);
  return s;
}

function optionalText(v: unknown, max: number): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > max || /[\u0000-\u001f]/.test(v)) throw new RedeemError(400, MESSAGES.invalidJson);
  return v;
}

/** `""` (or absent) for every status, else 0..4 as a number or a numeric string. */
function parseStatus(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 4) throw new RedeemError(400, MESSAGES.invalidJson);
  return n;
}

function positiveInt(v: unknown, fallback: number, max: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RedeemError(400, MESSAGES.invalidJson);
  return n;
}
