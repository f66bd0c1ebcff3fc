import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys: 40 random base64url characters after a `kios_` prefix (so secret scanners can spot a
 * leaked one). The server keeps the key encrypted (it is the HMAC secret of callbacks) and its
 * SHA-256 digest for lookup; the key itself is never logged.
 */
export function generateApiKey(): string {
  return `kios_${randomBytes(30).toString('base64url')}`;
}

export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** `kios_abcd…wxyz`: enough to recognise a key in a list, never enough to use it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 12) return '***';
  return `${secret.slice(0, 9)}…${secret.slice(-4)}`;
}
