import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { FailureScope } from '../types.js';

/**
 * VCGamers Mitra API v2 (RULINGS section 4; the collection `vcgamers-mitra-open-api`): every call
 * carries `Authorization: Bearer <access key>` and a `sign` query parameter. The collection
 * publishes only its introduction (auth, signing, RC codes, forms, webhooks), so the paths and the
 * answers' JSON shapes below come from public integrations of `mitra-api.vcgamers.com`:
 *
 * - `GET /v2/public/brands`, `GET /v2/public/variations?brand_key=`, `POST /v2/public/order`,
 *   `GET /v2/public/order-status?tid=`, signed as in `sign()` with the messages below.
 * - Envelope `{code, status, message?, rc_code?, data?}`: `code` an HTTP-like number (200 on
 *   success), `status` one of the collection's status words (SUCCESS, CLIENT_ERROR,
 *   SIGNATURE_INVALID, NOT_FOUND, ...), `rc_code` the two-digit RC of the collection's table (seen on
 *   order answers). Integrations read `response.code === 200`, `status === 'SUCCESS' | 'NOT_FOUND'`.
 * - Brand: `{key, name, image_url, description, is_voucher, is_active, forms}`; variation:
 *   `{key, variation_name, brand_name, price, is_active, sla, is_new}`.
 * - Order answer `data`: `{trx_code, transaction_status, selling_total}`; the `trx_code` is the
 *   `tid` of the status call.
 * - Order status `data`: `{code (the trx code), status (number), ref_id, date, grand_total,
 *   detail: {variation_key, variation_name, price, voucher_code, customer_data, order_param},
 *   history_status: [{status_name, timestamp}]}`; since the v2 changelog the reason of a failure
 *   or refund is in `sn`. Status 1 is processing and 2 success (integrations); failed and refunded
 *   are not published: kios reads 3 as failed and 4 as refunded (the order the statuses happen in),
 *   and every other number as still pending, so an unknown number can never end an order.
 *
 * Nothing public shows an error body: kios expects the same envelope with `rc_code` (as on order
 * answers) and decides only on `rc_code`, never on the status word alone (a duplicate ref_id, rc
 * 23, and a malformed request, rc 40, may share the word CLIENT_ERROR).
 */

export const PRODUCTION_URL = 'https://mitra-api.vcgamers.com';
export const DEVELOPMENT_URL = 'https://h2h-api.vcg.my.id';

export const PATHS = {
  brands: '/v2/public/brands',
  variations: '/v2/public/variations',
  order: '/v2/public/order',
  orderStatus: '/v2/public/order-status',
} as const;

/**
 * The documented signature: base64 of the LOWERCASE hex HMAC-SHA512, keyed with the secret, of
 * the secret followed by the call's parts (the PHP example's `hash_hmac(..., false)` is lowercase
 * hex; its Node and Go examples give the same). The base64 is of the hex text, not of the digest.
 */
export function sign(secret: string, ...parts: (string | number)[]): string {
  const hex = createHmac('sha512', secret).update(secret + parts.join(''), 'utf8').digest('hex');
  return Buffer.from(hex, 'utf8').toString('base64');
}

/** The messages each call signs (after the secret). */
export const SIGNED = {
  brands: () => ['brand'],
  variations: (brandKey: string) => ['variation', brandKey],
  order: (o: { brand_key: string; variation_key: string; price: number; ref_id: string; timestamp: string }) => ['order', o.brand_key, o.variation_key, String(o.price), o.ref_id, o.timestamp],
  orderStatus: (tid: string) => ['orderstatus', tid],
} as const;

/** The common envelope; `data` as each call has it. */
export const envelope = <T extends z.ZodTypeAny>(data: T) =>
  z.object({
    code: z.number().optional(),
    status: z.string().optional(),
    message: z.string().optional(),
    rc_code: z.string().optional(),
    data,
  });

/** Just the code and words of any answer, to read a refusal. */
export const headerSchema = z.object({
  code: z.number().optional(),
  status: z.string().optional(),
  message: z.string().nullable().optional(),
  rc_code: z.string().optional(),
  data: z.unknown().optional(),
});
export type Header = z.infer<typeof headerSchema>;

export const formFieldRawSchema = z.object({
  key: z.unknown(),
  type: z.unknown(),
  alias: z.unknown(),
  options: z.unknown().optional(),
});

export const brandSchema = z.object({
  key: z.string().min(1),
  name: z.string(),
  is_voucher: z.boolean().optional(),
  is_active: z.boolean().optional(),
  /** Not in the integrations seen; read when a brand carries one (postpaid groups). */
  category: z.string().nullable().optional(),
  forms: z.array(z.unknown()).nullable().optional(),
});
export type Brand = z.infer<typeof brandSchema>;

export const variationSchema = z.object({
  key: z.string().min(1),
  variation_name: z.string(),
  brand_name: z.string().optional(),
  price: z.number().nonnegative(),
  is_active: z.boolean(),
});

/** `data` of an order answer (rc 00, and possibly with a refusal such as 23). */
export const orderDataSchema = z.object({
  trx_code: z.string().min(1).optional(),
  ref_id: z.string().optional(),
  transaction_status: z.string().optional(),
  selling_total: z.number().optional(),
});

/** `data` of an order-status answer. */
export const orderStatusSchema = z.object({
  code: z.string().optional(),
  status: z.number().int(),
  ref_id: z.string().optional(),
  sn: z.string().nullable().optional(),
  detail: z
    .object({
      voucher_code: z.string().nullable().optional(),
    })
    .passthrough()
    .nullable()
    .optional(),
});
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** Order-status numbers: 1 and 2 from integrations, 3 and 4 kios's reading (see above). */
export const ORDER_STATUS = { processing: 1, success: 2, failed: 3, refunded: 4 } as const;

type Meaning =
  | { outcome: 'success' }
  /** The reference is already known at VCGamers: a status check, never a second purchase. */
  | { outcome: 'known' }
  /** Proves nothing, not even that VCGamers holds the purchase. */
  | { outcome: 'unsure' }
  | { outcome: 'failed'; scope: FailureScope };

/**
 * The collection's RC table and what each code means for a purchase (RULINGS section 5).
 * 24, 25, 40 and 44 refuse before anything is bought; 41, 42 and 43 are kios's own account
 * (token, signature): nothing bought, the operator is alerted; 21 and 22 concern the separate
 * Check ID and say nothing about an order; 26 and 47 belong to postpaid payment and inquiry;
 * 45, 46 and 50 (traffic, user limit, server) decide nothing.
 */
export const RC_CODES: Record<string, { text: string } & Meaning> = {
  '00': { text: 'Success / OK', outcome: 'success' },
  '21': { text: 'Check ID feature is currently not available', outcome: 'unsure' },
  '22': { text: 'Check ID feature error', outcome: 'unsure' },
  '23': { text: 'Ref ID is already exist', outcome: 'known' },
  '24': { text: 'Product price limit exceeded', outcome: 'failed', scope: 'route' },
  '25': { text: 'Insufficient Balance', outcome: 'failed', scope: 'route' },
  '26': { text: 'Payment Unavailable / Already Paid', outcome: 'unsure' },
  '40': { text: 'Invalid Parameter', outcome: 'failed', scope: 'route' },
  '41': { text: 'Parse token error', outcome: 'failed', scope: 'account' },
  '42': { text: 'Unauthenticated', outcome: 'failed', scope: 'account' },
  '43': { text: 'Signature Invalid', outcome: 'failed', scope: 'account' },
  '44': { text: 'Data Not Found / Transaction Not Available', outcome: 'failed', scope: 'route' },
  '45': { text: 'Traffic limit exceeded, please try again after a while', outcome: 'unsure' },
  '46': { text: 'User limit exceeded, please contact Admin', outcome: 'unsure' },
  '47': { text: 'Inquiry Failed / Error ( Postpaid )', outcome: 'unsure' },
  '50': { text: 'Server Error / Server Maintenance Error', outcome: 'unsure' },
};

/** HTTP statuses a VCGamers answer (success or refusal) comes with; anything else decides nothing. */
export const ANSWER_HTTP_STATUSES: ReadonlySet<number> = new Set([200, 201, 400, 401, 403, 404]);
