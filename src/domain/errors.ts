/**
 * One error type carrying a protocol code, and one table from code to HTTP status.
 * The published codes come from the Kiosgame / Toss Games documents (RULINGS section 1);
 * the rest are kios additions for requests the documents never describe.
 */
export const ERROR_STATUS = {
  API_KEY_NOT_FOUND: 404,
  INVOICE_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  NICKNAME_NOT_FOUND: 404,
  IP_NOT_WHITELISTED: 403,
  DUPLICATE_TRX_ID: 409,
  INSUFFICIENT_BALANCE: 400,
  INVALID_USER_ID: 400,
  PRODUCT_INACTIVE: 400,
  INVALID_CALLBACK_URL: 400,
  PAYMENT_METHOD_NOT_ALLOWED: 400,
  BAD_REQUEST: 400,
  TOO_MANY_REQUESTS: 429,
  SERVER_ERROR: 500,
  // kios additions (not in the published table):
  ROUTE_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const HTTP_REASON: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class KiosError extends Error {
  readonly code: ErrorCode;
  /** Said to the caller as `details`; never contains secrets or internals. */
  readonly details: string | undefined;

  constructor(code: ErrorCode, details?: string) {
    super(details ? `${code}: ${details}` : code);
    this.name = 'KiosError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isKiosError(err: unknown): err is KiosError {
  return err instanceof KiosError;
}
