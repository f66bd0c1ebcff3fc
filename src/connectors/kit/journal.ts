import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** The simulators' journals: one JSON object per line, appended before an answer is given. */

/**
 * Appends one line in a single write. A process killed in the middle of its write leaves a torn
 * line without its newline; the next line appended after it (by a restarted process, or another
 * process sharing the journal) would be glued to it and lost with it when read. So a journal that
 * does not end in a newline gets one first, and the torn line stays a line of its own, skipped.
 */
export function appendJournal(path: string, entry: unknown): void {
  const fd = openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
  } finally {
    closeSync(fd);
  }
}

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
