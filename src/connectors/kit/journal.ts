import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/** The simulators' journals: one JSON object per line, appended before an answer is given. */

/** Reads whole lines appended since `from`; a torn last line (crash mid-write) is left for later. */
export function readJournal<T>(path: string, from: number): { lines: T[]; offset: number } {
  if (!existsSync(path)) return { lines: [], offset: from };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return { lines: [], offset: from };
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { lines: [], offset: from };
    const lines: T[] = [];
    for (const raw of text.slice(0, end).split('\n')) {
      try {
        lines.push(JSON.parse(raw) as T);
      } catch {
        // a torn line from a crash in the middle of a write: skip it
      }
    }
    return { lines, offset: from + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    closeSync(fd);
  }
}
