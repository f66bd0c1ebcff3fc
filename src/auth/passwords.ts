import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { z } from 'zod';

/**
 * Dashboard passwords: argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1
 * lane). @node-rs/argon2 compares the digest in constant time and runs off the event loop.
 */
const OPTIONS = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** What a new password must be: long enough to resist guessing, short enough to hash cheaply. */
export const passwordSchema = z
  .string()
  .min(10, 'the password must be at least 10 characters')
  .max(200, 'the password must be at most 200 characters');

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified when the account is unknown (or has no password yet), so a log-in takes as long
// whether the email exists or not and timing reveals no account.
let dummy: Promise<string> | null = null;

/** True when `password` matches `stored`; with no stored hash, spends the same time and is false. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    await verify(await (dummy ??= hashPassword('kios-dummy-password')), password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
