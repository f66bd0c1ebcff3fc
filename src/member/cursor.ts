import { OperatorError } from '../resellers/service.js';

/**
 * Keyset cursors of the member dashboard's lists: the last row's sort key (a time and an id),
 * opaque so callers never build one. Only a cursor that encodes back to itself is accepted, so a
 * mangled copy-paste is refused instead of silently starting somewhere else.
 */
export interface Position {
  at: number;
  id: string;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.at}:${p.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined || cursor === '') return null;
  const m = /^(\d{1,16}):(\S{1,100})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(at) || encodeCursor({ at, id: m[2]! }) !== cursor) throw new OperatorError('not a cursor this list gave out');
  return { at, id: m[2]! };
}

/** Page size: 50 unless asked, never more than `max`. */
export function pageSize(limit: number | undefined, max = 200): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), max);
}

/** `from` inclusive, `to` exclusive (epoch ms); a range that ends before it starts is a mistake. */
export function checkRange(r: { from?: number; to?: number }): void {
  if (r.from !== undefined && r.to !== undefined && r.to < r.from) throw new OperatorError('the date range ends before it starts');
}
