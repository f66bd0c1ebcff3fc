import { KiosError } from './errors.js';

/**
 * Order fields as every channel (JSON v1/v2, Otomax) receives them, checked once. Where the
 * documents have a code for a bad field it is used (RULINGS section 1, "Envelope and errors"):
 * a missing product_code is PRODUCT_NOT_FOUND, a missing or malformed user_id or server_id is
 * INVALID_USER_ID; anything else malformed is BAD_REQUEST with details.
 */
export interface OrderInput {
  productCode: string;
  userId: string;
  serverId: string | null;
  trxId: string | null;
  callbackUrl: string | null;
}

export const MAX_TRX_ID_LENGTH = 100;

const PRODUCT_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
// Game account ids: digits and letters, with the few separators real ids use (Riot-style
// `name#tag`, emails for some vouchers). No spaces, quotes or control characters.
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@#:+-]{0,63}$/;
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const TRX_ID = /^[A-Za-z0-9._:/@#+-]+$/;
// A whole Otomax destination: an account id, optionally with a server in one of the accepted
// separators (`|`, `( )`, a space, `.`), split once the product's category is known.
const DESTINATION = /^[A-Za-z0-9][A-Za-z0-9._@#:+|() -]{0,99}$/;

/** Strings stay strings; whole non-negative numbers (PHP and JS clients send ids as numbers) become digits. */
function scalar(v: unknown): string | null | 'invalid' {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return 'invalid';
}

export function parseOrderInput(raw: Record<string, unknown>, opts: { trxRequired?: boolean; combinedDestination?: boolean } = {}): OrderInput {
  const productCode = scalar(raw.product_code);
  if (productCode === 'invalid') throw new KiosError('BAD_REQUEST', 'product_code must be a string');
  if (productCode === null) throw new KiosError('PRODUCT_NOT_FOUND', 'product_code is required');
  if (!PRODUCT_CODE.test(productCode)) throw new KiosError('PRODUCT_NOT_FOUND');

  const userId = scalar(raw.user_id);
  if (userId === null) throw new KiosError('INVALID_USER_ID', 'user_id is required');
  if (userId === 'invalid' || !(opts.combinedDestination ? DESTINATION : USER_ID).test(userId)) {
    throw new KiosError('INVALID_USER_ID', 'user_id is not a valid account id');
  }

  const serverId = opts.combinedDestination ? null : scalar(raw.server_id);
  if (serverId === 'invalid' || (serverId !== null && !SERVER_ID.test(serverId))) throw new KiosError('INVALID_USER_ID', 'server_id is not a valid server id');

  const trxId = scalar(raw.trx_id);
  if (trxId === 'invalid') throw new KiosError('BAD_REQUEST', 'trx_id must be a string');
  if (trxId === null && opts.trxRequired) throw new KiosError('BAD_REQUEST', 'trx_id is required');
  if (trxId !== null && trxId.length > MAX_TRX_ID_LENGTH) throw new KiosError('BAD_REQUEST', `trx_id is at most ${MAX_TRX_ID_LENGTH} characters`);
  if (trxId !== null && !TRX_ID.test(trxId)) throw new KiosError('BAD_REQUEST', 'trx_id may contain only letters, digits and . _ : / @ # + -');

  const cb = raw.callback_url;
  if (cb !== undefined && cb !== null && typeof cb !== 'string') throw new KiosError('INVALID_CALLBACK_URL', 'callback_url must be a string');
  const callbackUrl = typeof cb === 'string' && cb.trim() !== '' ? cb.trim() : null;

  return { productCode, userId, serverId, trxId, callbackUrl };
}

/** A lookup key from a URL path (invoice number, trx_id): anything implausible is simply not found. */
export function plausibleKey(s: string): boolean {
  return s.length > 0 && s.length <= MAX_TRX_ID_LENGTH && TRX_ID.test(s);
}

/** Checks the parts of a destination once it has been split (Otomax v2/v3). */
export function validateDestination(userId: string, serverId: string | null): { userId: string; serverId: string | null } {
  if (!USER_ID.test(userId)) throw new KiosError('INVALID_USER_ID', 'user_id is not a valid account id');
  if (serverId !== null && !SERVER_ID.test(serverId)) throw new KiosError('INVALID_USER_ID', 'server_id is not a valid server id');
  return { userId, serverId };
}
