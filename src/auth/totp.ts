import { Secret, TOTP } from 'otpauth';

/**
 * The operators' optional second factor: RFC 6238 TOTP (SHA-1, 6 digits, 30 s), what every
 * authenticator app reads from a QR code. A code is accepted one step either side of now (clock
 * drift), and never twice: the caller stores the step it was accepted for and passes it back.
 */
const PERIOD_S = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUrl(secret: string, account: string): string {
  return totp(secret, account).toString();
}

/** The time step `code` is valid for (now ±1 step), or null if it is wrong or already used. */
export function acceptTotp(secret: string, code: unknown, now: number, lastStep: number | null): number | null {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / PERIOD_S) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** The code of `now` (tests and the CLI's checks). */
export function totpCode(secret: string, now: number): string {
  return totp(secret).generate({ timestamp: now });
}

function totp(secret: string, label = 'operator'): TOTP {
  return new TOTP({ issuer: 'kios', label, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret: Secret.fromBase32(secret) });
}
