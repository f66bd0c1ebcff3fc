/**
 * The cursor of a keyset-paginated list newest first: where a page ended, as the last row's
 * (created_at, id), opaque so callers never build one.
 */
export function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(`${row.created_at}:${row.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one `encodeCursor` gave out. */
export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  const m = /^(\d{1,16}):(\S+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const createdAt = Number(m?.[1]);
  // Base64 decoding skips what it does not understand; only a cursor that encodes back to itself
  // is one kios gave out, not a mangled copy-paste that would silently start somewhere else.
  if (!m || !Number.isSafeInteger(createdAt) || encodeCursor({ created_at: createdAt, id: m[2]! }) !== cursor) return null;
  return { createdAt, id: m[2]! };
}
