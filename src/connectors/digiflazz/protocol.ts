import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { FailureScope } from '../types.js';

/**
 * Digiflazz buyer API (RULINGS section 4): JSON POSTs to `https://api.digiflazz.com/v1`, md5
 * signatures, one `/transaction` call that both buys and, re-sent with the same `ref_id`, checks
 * status; webhooks signed `X-Hub-Signature: sha1=<HMAC-SHA1(raw body, secret)>`.
 */

export const PRODUCTION_URL = 'https://api.digiflazz.com/v1';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** `/transaction`: md5(username + apiKey + ref_id). */
export const transactionSign = (username: string, apiKey: string, refId: string) => md5(username + apiKey + refId);
/** `/cek-saldo`: md5(username + apiKey + "depo"). */
export const balanceSign = (username: string, apiKey: string) => md5(`${username}${apiKey}depo`);
/** `/price-list`: md5(username + apiKey + "pricelist"). */
export const priceListSign = (username: string, apiKey: string) => md5(`${username}${apiKey}pricelist`);

/** `X-Hub-Signature` of a webhook: `sha1=` + lowercase hex HMAC-SHA1 of the raw body. */
export function webhookSignature(rawBody: string, secret: string): string {
  return `sha1=${createHmac('sha1', secret).update(rawBody, 'utf8').digest('hex')}`;
}

export function verifyWebhook(rawBody: string, given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const e = Buffer.from(webhookSignature(rawBody, secret), 'utf8');
  const g = Buffer.from(given.trim().toLowerCase(), 'utf8');
  return e.length === g.length && timingSafeEqual(e, g);
}

/** A transaction as Digiflazz describes it (purchase reply, status re-send, webhook `data`). */
export const transactionSchema = z.object({
  ref_id: z.string().optional(),
  customer_no: z.string().optional(),
  buyer_sku_code: z.string().optional(),
  message: z.string().optional(),
  status: z.string().optional(),
  rc: z.string(),
  sn: z.string().nullable().optional(),
  buyer_last_saldo: z.number().optional(),
  price: z.number().optional(),
});
export type Transaction = z.infer<typeof transactionSchema>;

export const envelope = <T extends z.ZodTypeAny>(data: T) => z.object({ data });

export const balanceSchema = z.object({ deposit: z.number() });

export const priceListItemSchema = z.object({
  product_name: z.string(),
  category: z.string().optional(),
  brand: z.string().optional(),
  price: z.coerce.number(),
  buyer_sku_code: z.string(),
  buyer_product_status: z.boolean(),
  seller_product_status: z.boolean(),
});

type Meaning =
  | { outcome: 'success' | 'pending' }
  /** The reference is already known at Digiflazz: ask its status, never buy again under another. */
  | { outcome: 'check' }
  /** Says nothing we can act on: kept undecided (ambiguous), checked again later. */
  | { outcome: 'unsure' }
  | { outcome: 'failed'; scope: FailureScope }
  | { outcome: 'reversed' };

/**
 * Every documented response code (Digiflazz "Response Code" table) and what it means for an
 * attempt. `status` ("Sukses", "Pending", "Gagal") must agree with the code's class, or the
 * answer is treated as undecided.
 */
export const RESPONSE_CODES: Record<string, { text: string } & Meaning> = {
  '00': { text: 'Transaksi Sukses', outcome: 'success' },
  // RULINGS section 5: Digiflazz reports 01 as a final failure of the transaction.
  '01': { text: 'Timeout', outcome: 'failed', scope: 'route' },
  '02': { text: 'Transaksi Gagal', outcome: 'failed', scope: 'route' },
  '03': { text: 'Transaksi Pending', outcome: 'pending' },
  '40': { text: 'Payload Error', outcome: 'failed', scope: 'account' },
  '41': { text: 'Signature tidak valid', outcome: 'failed', scope: 'account' },
  '42': { text: 'Gagal memproses API Buyer', outcome: 'failed', scope: 'account' },
  '43': { text: 'SKU tidak di temukan atau Non-Aktif', outcome: 'failed', scope: 'route' },
  '44': { text: 'Saldo tidak cukup', outcome: 'failed', scope: 'route' },
  '45': { text: 'IP Anda tidak kami kenali', outcome: 'failed', scope: 'account' },
  '47': { text: 'Transaksi sudah terjadi di buyer lain', outcome: 'check' },
  '49': { text: 'Ref ID tidak unik', outcome: 'check' },
  // A status re-send may get "not found" for a purchase Digiflazz did take (a lagging replica, an
  // archive): failing over on it could buy twice, so it decides nothing.
  '50': { text: 'Transaksi Tidak Ditemukan', outcome: 'unsure' },
  '51': { text: 'Nomor Tujuan Diblokir', outcome: 'failed', scope: 'destination' },
  '52': { text: 'Prefix Tidak Sesuai Dengan Operator', outcome: 'failed', scope: 'destination' },
  '53': { text: 'Produk Seller Sedang Tidak Tersedia', outcome: 'failed', scope: 'route' },
  '54': { text: 'Nomor Tujuan Salah', outcome: 'failed', scope: 'destination' },
  '55': { text: 'Produk Sedang Gangguan', outcome: 'failed', scope: 'route' },
  '56': { text: 'Limit saldo seller', outcome: 'failed', scope: 'route' },
  '57': { text: 'Jumlah Digit Kurang Atau Lebih', outcome: 'failed', scope: 'destination' },
  '58': { text: 'Sedang Cut Off', outcome: 'failed', scope: 'route' },
  '59': { text: 'Tujuan di Luar Wilayah/Cluster', outcome: 'failed', scope: 'destination' },
  '60': { text: 'Tagihan belum tersedia', outcome: 'failed', scope: 'route' },
  '61': { text: 'Belum pernah melakukan deposit', outcome: 'failed', scope: 'account' },
  '62': { text: 'Seller sedang mengalami gangguan', outcome: 'failed', scope: 'route' },
  '63': { text: 'Tidak support transaksi multi', outcome: 'failed', scope: 'route' },
  '64': { text: 'Tarik tiket gagal', outcome: 'failed', scope: 'route' },
  '65': { text: 'Limit transaksi multi', outcome: 'failed', scope: 'route' },
  '66': { text: 'Cut Off (Perbaikan Sistem Seller)', outcome: 'failed', scope: 'route' },
  '67': { text: 'Seller belum ter-verifikasi', outcome: 'failed', scope: 'route' },
  '68': { text: 'Stok habis', outcome: 'failed', scope: 'route' },
  '69': { text: 'Harga seller lebih besar dari ketentuan harga Buyer', outcome: 'failed', scope: 'route' },
  '70': { text: 'Timeout Dari Biller', outcome: 'failed', scope: 'route' },
  '71': { text: 'Produk Sedang Tidak Stabil', outcome: 'failed', scope: 'route' },
  '72': { text: 'Lakukan Unreg Paket Dahulu', outcome: 'failed', scope: 'destination' },
  '73': { text: 'Kwh Melebihi Batas', outcome: 'failed', scope: 'destination' },
  '74': { text: 'Transaksi Refund', outcome: 'reversed' },
  '80': { text: 'Akun Anda telah diblokir oleh Seller', outcome: 'failed', scope: 'account' },
  '81': { text: 'Seller ini telah diblokir oleh Anda', outcome: 'failed', scope: 'account' },
  '82': { text: 'Akun Anda belum ter-verfikasi', outcome: 'failed', scope: 'account' },
  '83': { text: 'Limitasi pengecekan pricelist tercapai', outcome: 'failed', scope: 'route' },
  '84': { text: 'Nominal tidak valid', outcome: 'failed', scope: 'route' },
  '85': { text: 'Limitasi transaksi tercapai', outcome: 'failed', scope: 'route' },
  '86': { text: 'Limitasi pengecekan nomor PLN tercapai', outcome: 'failed', scope: 'route' },
  '87': { text: 'Transaksi E-money wajib kelipatan Rp 1.000', outcome: 'failed', scope: 'route' },
  '88': { text: 'Akun Anda tidak dapat melakukan aksi ini', outcome: 'failed', scope: 'account' },
  '99': { text: 'DF Router Issue', outcome: 'pending' },
};

/** The `status` word each outcome class is sent with. */
export const STATUS_WORD = { success: 'Sukses', pending: 'Pending', failed: 'Gagal' } as const;
