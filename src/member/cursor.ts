import { decodeCursor as decodeKeyset, encodeCursor as encodeKeyset } from '../db/keyset.js';
import { OperatorError } from '../resellers/service.js';

/**
 * Keyset cursors of the member dashboard's lists (src/db/keyset.ts): the last row's sort key, a
 * number (a time or a sequence) and an id. A cursor the list did not give out is refused rather
 * than starting somewhere else.
 */
export interface Position {
  at: number;
  id: string;
}

export function encodeCursor(p: Position): string {
  return encodeKeyset({ created_at: p.at, id: p.id });
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined || cursor === '') return null;
  const p = decodeKeyset(cursor);
  if (!p) throw new OperatorError('not a cursor this list gave out');
  return { at: p.createdAt, id: p.id };
}

/** Page size: 50 unless asked, never more than `max`. */
export function pageSize(limit: number | undefined, max = 200): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), max);
}

/** `from` inclusive, `to` exclusive (epoch ms); a range that ends before it starts is a mistake. */
export function checkRange(r: { from?: number; to?: number }): void {
  if (r.from !== undefined && r.to !== undefined && r.to < r.from) throw new OperatorError('the date range ends before it starts');
}
