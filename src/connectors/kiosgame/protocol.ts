import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { FailureScope } from '../types.js';

/**
 * The Kiosgame Indonesia / Toss Games / TopupKuy white-label API (RULINGS section 1) as its
 * clients see it: the same API kios serves. Envelopes, the invoice object, the error codes and
 * the callback signature, from the published collection.
 */

export const PRODUCTION_URL = 'https://api.kiosgameindonesia.com';

export const invoiceSchema = z.object({
  invoice_number: z.string().min(1),
  trx_id: z.string().nullable(),
  response_note: z.string().nullable().optional(),
  status: z.string(),
  voucher: z.string().nullable().optional(),
  amount: z.number().optional(),
});
export type Invoice = z.infer<typeof invoiceSchema>;

export const successEnvelope = <T extends z.ZodTypeAny>(data: T) => z.object({ statusCode: z.literal(200), message: z.literal('success'), data });

export const errorEnvelope = z.object({ statusCode: z.number().int(), message: z.string(), error: z.string().optional() });

export const userSchema = z.object({ user_balance: z.number().int() });

export const productSchema = z.object({
  product_code: z.string(),
  product_name: z.string(),
  product_price: z.number(),
  is_active: z.union([z.boolean(), z.number()]),
  category_title: z.string().nullable().optional(),
  category_type: z.string().nullable().optional(),
});

export const categorySchema = z.object({
  category_title: z.string(),
  is_server: z.union([z.boolean(), z.number()]).optional(),
});

/** A callback body: the invoice object plus the reseller's balance (Callback API example). */
export const callbackSchema = invoiceSchema.extend({ balance: z.number().optional() });

/** The documented codes, with the HTTP status each is sent with (RULINGS section 1). */
export const ERROR_HTTP_STATUS: Record<string, number> = {
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
};

/**
 * Errors answered to `POST /v2/order` that prove nothing was bought (RULINGS section 5), and
 * whose problem each is. Every other code (TOO_MANY_REQUESTS, SERVER_ERROR, DUPLICATE_TRX_ID,
 * anything unknown) leaves the purchase undecided.
 */
export const ORDER_REFUSALS: Record<string, { scope: FailureScope; reason: string }> = {
  API_KEY_NOT_FOUND: { scope: 'account', reason: 'the supplier does not know kios\'s API key' },
  IP_NOT_WHITELISTED: { scope: 'account', reason: 'kios\'s IP address is not on the supplier\'s whitelist' },
  INVALID_CALLBACK_URL: { scope: 'account', reason: 'the supplier refused kios\'s callback URL' },
  PRODUCT_NOT_FOUND: { scope: 'route', reason: 'the supplier does not know this product code' },
  PRODUCT_INACTIVE: { scope: 'route', reason: 'the product is switched off at the supplier' },
  INSUFFICIENT_BALANCE: { scope: 'route', reason: 'kios\'s balance at the supplier is too low' },
  PAYMENT_METHOD_NOT_ALLOWED: { scope: 'route', reason: 'the supplier does not sell this product from balance' },
  BAD_REQUEST: { scope: 'route', reason: 'the supplier refused the request' },
  INVALID_USER_ID: { scope: 'destination', reason: 'User ID tidak ditemukan' },
  NICKNAME_NOT_FOUND: { scope: 'destination', reason: 'Nickname tidak ditemukan' },
};

/** Invoice statuses that are final (a callback's status is final only when it is one of these). */
export const FINAL_STATUSES = ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'] as const;

/** `x-signature`: lowercase hex HMAC-SHA256 keyed with the API key (Callback API section). */
export function signature(body: string, apiKey: string): string {
  return createHmac('sha256', apiKey).update(body).digest('hex');
}

/**
 * Verifies a callback's `x-signature` against the raw body, and against the documented formula
 * `JSON.stringify(data)` of the parsed body (the same bytes when the sender serialises as the
 * published snippet does; a re-indented body still verifies by the formula).
 */
export function verifySignature(rawBody: string, given: string | undefined, apiKey: string): boolean {
  if (!given || !/^[0-9a-fA-F]{64}$/.test(given.trim())) return false;
  const g = Buffer.from(given.trim().toLowerCase(), 'utf8');
  const matches = (body: string) => {
    const e = Buffer.from(signature(body, apiKey), 'utf8');
    return e.length === g.length && timingSafeEqual(e, g);
  };
  if (matches(rawBody)) return true;
  try {
    return matches(JSON.stringify(JSON.parse(rawBody)));
  } catch {
    return false;
  }
}
