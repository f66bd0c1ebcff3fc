import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `x-signature` of a JSON callback: lowercase hex HMAC-SHA256 of the exact body bytes, keyed with
 * the reseller's API key. The body is `JSON.stringify(payload)`, so the published verification
 * snippet `createHmac('sha256', apikey).update(JSON.stringify(data)).digest('hex')` works as written.
 */
export function signBody(body: string, apiKey: string): string {
  return createHmac('sha256', apiKey).update(body).digest('hex');
}

export function verifyBody(body: string, apiKey: string, signature: string): boolean {
  const expected = Buffer.from(signBody(body, apiKey), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
