import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isKiosError } from '../../domain/errors.js';
import { OperatorError } from '../../resellers/service.js';
import type { DashboardErrorCode } from './schemas.js';

const STATUS: Record<DashboardErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOTP_REQUIRED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  SERVER_ERROR: 500,
};

export interface Issue {
  path: string;
  message: string;
}

/** A refusal of the dashboard API: `{"error":{"code","message"[,"issues"]}}` with its status. */
export class DashboardError extends Error {
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/**
 * Anything thrown while serving a dashboard request, as the contract's envelope: validation
 * failures with their issues, OperatorError by kind, framework 4xx by status; everything else is
 * SERVER_ERROR, logged with its stack and never described to the caller.
 */
export function toDashboardError(req: FastifyRequest, err: unknown): DashboardError {
  if (err instanceof DashboardError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'), message: v.message ?? 'is not valid' }));
    return new DashboardError('VALIDATION', `the ${(err as { validationContext?: string }).validationContext ?? 'request'} is not valid`, issues);
  }
  if (err instanceof OperatorError) {
    if (err.kind === 'not_found') return new DashboardError('NOT_FOUND', err.message);
    if (err.kind === 'conflict') return new DashboardError('CONFLICT', err.message);
    return new DashboardError('VALIDATION', err.message, [{ path: '', message: err.message }]);
  }
  // The server's own parsers throw KiosError BAD_REQUEST (e.g. a body that is not JSON).
  if (isKiosError(err) && err.httpStatus < 500) return new DashboardError('VALIDATION', err.details ?? 'the request is not valid', []);
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 429) return new DashboardError('TOO_MANY_REQUESTS', 'too many requests: wait a moment');
    if (status === 404) return new DashboardError('NOT_FOUND', 'not found');
    return new DashboardError('VALIDATION', status === 413 ? 'the request body is too large' : 'the request is not valid', []);
  }
  req.log.error({ err }, 'unexpected error');
  return new DashboardError('SERVER_ERROR', 'something went wrong on the server');
}

export function sendDashboardError(reply: FastifyReply, e: DashboardError): FastifyReply {
  const error: { code: DashboardErrorCode; message: string; issues?: Issue[] } = { code: e.code, message: e.message };
  if (e.issues) error.issues = e.issues;
  return reply.code(e.status).type('application/json; charset=utf-8').send({ error });
}

/** A set-up link that is unknown, used or expired (400: the page asks for a new one). */
export function unusableLink(askWhom: string): DashboardError {
  return new DashboardError('VALIDATION', `this set-up link is not valid any more: ask ${askWhom} for a new one`, [{ path: 'token', message: 'unknown, used or expired' }]);
}
