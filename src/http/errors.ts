import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_REASON, KiosError, isKiosError, type ErrorCode } from '../domain/errors.js';

/**
 * Maps anything thrown while serving a request to a protocol error. Framework errors (bad JSON,
 * body too large, bad URL encoding) become their 4xx codes; anything unexpected is SERVER_ERROR,
 * whose details are never shown to the caller.
 */
export function toKiosError(err: unknown): KiosError {
  if (isKiosError(err)) return err;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new KiosError('PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (status === 415) return new KiosError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json or application/x-www-form-urlencoded');
  if (status === 429) return new KiosError('TOO_MANY_REQUESTS');
  if (status === 404) return new KiosError('ROUTE_NOT_FOUND');
  if (status >= 400 && status < 500) return new KiosError('BAD_REQUEST', publicMessage(e.code, e.message));
  return new KiosError('SERVER_ERROR');
}

function publicMessage(code: unknown, message: unknown): string {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is not valid JSON';
    case 'FST_ERR_BAD_URL':
      return 'the URL is not valid';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'content-length does not match the body';
    default:
      return typeof message === 'string' ? message.slice(0, 200) : 'bad request';
  }
}

/** `{"statusCode":...,"message":"<CODE>","error":"<reason>"}`, plus `details` when there is something to say. */
export function errorBody(e: KiosError): { statusCode: number; message: ErrorCode; error: string; details?: string } {
  const status = e.httpStatus;
  const body: { statusCode: number; message: ErrorCode; error: string; details?: string } = {
    statusCode: status,
    message: e.code,
    error: HTTP_REASON[status] ?? 'Error',
  };
  if (e.details && e.code !== 'SERVER_ERROR') body.details = e.details;
  return body;
}

/** Unexpected errors are logged with their stack; the caller only ever sees the code. */
export function logged(req: FastifyRequest, err: unknown): KiosError {
  const e = toKiosError(err);
  if (e.code === 'SERVER_ERROR') req.log.error({ err }, 'unexpected error');
  return e;
}

export function sendJsonError(reply: FastifyReply, e: KiosError): FastifyReply {
  return reply.code(e.httpStatus).type('application/json; charset=utf-8').send(errorBody(e));
}
