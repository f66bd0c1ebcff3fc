/**
 * CSV for spreadsheets: RFC 4180 quoting, CRLF line ends, and a UTF-8 byte-order mark first so
 * Excel reads names with accents as UTF-8 rather than the system code page. A cell starting with
 * = + - @ (or a tab / carriage return) gets a leading apostrophe, so a product name or a note a
 * reseller typed can never run as a formula in the operator's spreadsheet; negative amounts are
 * numbers and stay as they are.
 */
export const BOM = '\uFEFF';

export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * Streams a CSV file: the BOM and header, then each page's rows as one chunk, fetching the next
 * page only when the consumer wants more. Memory is one page, whatever the number of rows.
 */
export async function* csvPages<T>(header: string[], pages: AsyncIterable<T[]>, row: (item: T) => (string | number | null | undefined)[]): AsyncGenerator<string> {
  yield BOM + csvLine(header);
  for await (const items of pages) {
    if (items.length > 0) yield items.map((i) => csvLine(row(i))).join('');
  }
}

/** `2025-01-31T14:05:09+07:00`: the instant in the operator's time zone, with its offset. */
export function localIso(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
