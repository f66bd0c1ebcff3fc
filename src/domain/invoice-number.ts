import { randomInt } from 'node:crypto';

/**
 * `{PREFIX}_{CODE}_{unix seconds}_{4 digits}`, e.g. `KIOS_ML_1679528285_4321` (RULINGS section 1).
 * Uniqueness is the database's job (a unique index); a collision is retried with new digits.
 */
export function invoiceNumber(prefix: string, categoryCode: string | null, nowMs: number): string {
  return `${prefix}_${categoryCode || 'XX'}_${reference4(nowMs)}`;
}

/** The placeholder RefId before a supplier reference is known: `{CODE}_{unix seconds}_{4 digits}`. */
export function placeholderRef(categoryCode: string | null, nowMs: number): string {
  return `${categoryCode || 'XX'}_${reference4(nowMs)}`;
}

function reference4(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}_${String(randomInt(0, 10_000)).padStart(4, '0')}`;
}
