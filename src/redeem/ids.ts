import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

function pick(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

/** `yymmdd` in WIB (UTC+7), the time zone of every date the APIGames shape shows. */
export function wibDate(at: number): string {
  const d = new Date(at + 7 * 3600_000);
  return `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** `M240315GAME2847K`-like: `M`, the reseller's creation date, nine random characters. */
export function generateMerchantId(createdAt: number): string {
  return `M${wibDate(createdAt)}${pick(ALNUM, 9)}`;
}

/** `R240815XPQR000012`-like: `R`, the date, four letters, six digits. Unique by a UNIQUE index (a clash is retried). */
export function generateProjectId(at: number): string {
  return `R${wibDate(at)}${pick(LETTERS, 4)}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
}

/** `ABC1•••••••GHI`: enough to recognise a code, never enough to redeem it. */
export function maskCode(code: string): string {
  if (code.length <= 6) return `${code.slice(0, 1)}${'*'.repeat(code.length - 1)}`;
  const keep = Math.min(4, Math.floor(code.length / 4));
  return `${code.slice(0, keep)}${'*'.repeat(code.length - 2 * keep)}${code.slice(-keep)}`;
}
