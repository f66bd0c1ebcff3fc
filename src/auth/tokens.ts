import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets of the dashboards (session cookies, set-up links, CSRF tokens): 32 random bytes.
 * Only their SHA-256 digest is stored, so reading the database never yields one that works.
 */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two strings (CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** A token as a client may send it: bounded and printable, so junk never reaches a query. */
export function plausibleToken(t: unknown): t is string {
  return typeof t === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(t);
}
