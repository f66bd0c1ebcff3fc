import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * APIGames v2 (RULINGS section 4; its published documentation at docs.apigames.id: "Info Akun",
 * "Cek Akun Game", "Transaksi v2 / Method POST", "Cek Status v2 / Method GET", "Webhook /
 * Trx via GET/POST", "Syarat & Ketentuan"). APIGames relays each purchase to the merchant's own
 * connected accounts (Kiosgamer, SmileOne, UniPin, ...). Every call is signed with md5 over the
 * merchant id and the secret key; the formulas differ per endpoint (one has no colons).
 *
 * Answers, as published:
 * - transaction and status: `{"data": {merchant_id, trx_id, ref_id, destination, product_code,
 *   product_code_master, message, status, sn, last_balance, product_detail}, "status": 1}`,
 *   where `data.status` is one of the six status words below;
 * - errors: `{"error_msg": "Signature not valid", "status": 0}` (the other endpoints add `rc`);
 * - account info and nickname check: `{status: 1, rc, message, data, ts}`;
 * - webhook: the bare transaction object (`data` above, unwrapped), POSTed with the header
 *   `X-Apigames-Authorization: md5(merchant_id:secret_key:ref_id)`.
 */

export const PRODUCTION_URL = 'https://v1.apigames.id';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Account info (balance): md5(merchant_id:secret_key). */
export const accountSign = (merchantId: string, secretKey: string) => md5(`${merchantId}:${secretKey}`);
/** Nickname check (`cek-username`): md5(merchant_id + secret_key), without a colon. */
export const usernameSign = (merchantId: string, secretKey: string) => md5(`${merchantId}${secretKey}`);
/** Purchase and status check: md5(merchant_id:secret_key:ref_id). */
export const transactionSign = (merchantId: string, secretKey: string, refId: string) => md5(`${merchantId}:${secretKey}:${refId}`);
/** `X-Apigames-Authorization` of a webhook about `refId`: the same formula as a purchase. */
export const webhookAuthorization = transactionSign;

/**
 * Whether `given` is the `X-Apigames-Authorization` of a webhook about `refId`, compared in
 * constant time. Note what it proves: the sender knows the secret (or has seen an earlier webhook
 * about the same `ref_id`): it covers the reference, not the body.
 */
export function verifyWebhook(given: string | undefined, merchantId: string, secretKey: string, refId: string): boolean {
  if (!given) return false;
  const e = Buffer.from(webhookAuthorization(merchantId, secretKey, refId), 'utf8');
  const g = Buffer.from(given.trim().toLowerCase(), 'utf8');
  return e.length === g.length && timingSafeEqual(e, g);
}

export const PATHS = {
  account: (merchantId: string) => `/merchant/${encodeURIComponent(merchantId)}`,
  checkUsername: (merchantId: string, game: string) => `/merchant/${encodeURIComponent(merchantId)}/cek-username/${encodeURIComponent(game)}`,
  transaction: '/v2/transaksi',
  status: '/v2/transaksi/status',
} as const;

/** The status words APIGames documents ("Syarat & Ketentuan"), exactly as it spells them. */
export const STATUS = {
  pending: 'Pending',
  process: 'Proses',
  success: 'Sukses',
  failed: 'Gagal',
  partial: 'Sukses Sebagian',
  providerCheck: 'Validasi Provider',
} as const;
export type StatusWord = (typeof STATUS)[keyof typeof STATUS];

const text = z.string().max(2000);
const amount = z.union([z.number(), z.string().max(40)]);

/** A transaction (purchase answer's and status answer's `data`, and a webhook's body). */
export const transactionSchema = z.object({
  merchant_id: text.optional(),
  trx_id: text.optional(),
  ref_id: text.optional(),
  destination: text.optional(),
  product_code: text.optional(),
  product_code_master: text.optional(),
  message: text.optional(),
  status: z.string().max(100),
  sn: text.nullable().optional(),
  last_balance: amount.nullable().optional(),
  product_detail: z.unknown().optional(),
});
export type Transaction = z.infer<typeof transactionSchema>;

/** `{status: 1, data}`; `rc`, `message` and `ts` where the endpoint sends them. */
export const okEnvelope = <T extends z.ZodTypeAny>(data: T) =>
  z.object({
    status: z.literal(1),
    rc: z.union([z.number(), z.string()]).optional(),
    message: z.string().optional(),
    data,
    ts: z.number().optional(),
  });

/** `{status: 0, error_msg}` (with `rc` on most endpoints): the request was refused. */
export const errorEnvelope = z.object({
  status: z.literal(0),
  rc: z.union([z.number(), z.string()]).optional(),
  error_msg: z.string().max(2000),
});

/** Account info: `saldo` is the merchant's balance in rupiah. */
export const accountSchema = z.object({
  merchant_id: z.string().optional(),
  saldo: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]),
});

/** Nickname check: `is_valid: false` with an empty `username` is "Data Not Found". */
export const usernameSchema = z.object({
  is_valid: z.boolean(),
  username: z.string().max(200).nullable().optional(),
});

/**
 * An answer to a status check saying the reference does not exist. APIGames publishes no such
 * example; this is the shape its other "not found" answers take (`"Project ID tidak ditemukan"`,
 * `"Merchant not found"`), narrowed to a transaction or reference so that a "Merchant not found"
 * or "Produk tidak ditemukan" is never read as "this purchase does not exist".
 */
export const TRANSACTION_NOT_FOUND = /^(data )?(transaksi|transaction|trx|ref[ _]?id)( \S+)? (tidak (di)?temukan|not found)\.?$/i;

/** Refusals that concern kios's account at APIGames (its credentials), not this purchase. */
export const ACCOUNT_REFUSAL = /signature|merchant/i;

/** A refusal saying the reference is already taken: APIGames knows it, so it is never an alert. */
export const DUPLICATE_REF = /(ref[ _]?id|reference).*(sudah|already|double|duplicate|tidak unik)/i;
