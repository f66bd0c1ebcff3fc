import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';

/** The simulators' journals: one JSON object per line, appended before an answer is given. */

/**
 * One descriptor per journal, kept open. A simulated purchase reads the journal (has another
 * process taken it?) and appends to it; opening and closing the file for each took ten system
 * calls a purchase, now four. The path is looked up with one stat a call, so a journal deleted
 * or replaced (a data directory removed, a file moved aside) is reopened, never written to while
 * unlinked.
 */
interface Open {
  fd: number;
  ino: number;
  /** A size at which the journal is known to end in a newline (it grows only): no need to look. */
  cleanEnd: number;
}
const journals = new Map<string, Open>();
/** Journals kept open at once: a process's simulators have a few; tests make one per data directory. */
const KEPT_OPEN = 16;

function journal(path: string, create: boolean): { j: Open; size: number } | null {
  const st = statSync(path, { throwIfNoEntry: false });
  let j = journals.get(path);
  if (j && st?.ino !== j.ino) {
    closeSync(j.fd);
    journals.delete(path);
    j = undefined;
  }
  if (j) return { j, size: st!.size };
  if (!st && !create) return null;
  const fd = openSync(path, 'a+');
  const opened = fstatSync(fd);
  j = { fd, ino: opened.ino, cleanEnd: 0 };
  if (journals.size >= KEPT_OPEN) {
    const [oldest, o] = journals.entries().next().value!;
    closeSync(o.fd);
    journals.delete(oldest);
  }
  journals.set(path, j);
  return { j, size: opened.size };
}

/**
 * Appends one line in a single write. A process killed in the middle of its write leaves a torn
 * line without its newline; the next line appended after it (by a restarted process, or another
 * process sharing the journal) would be glued to it and lost with it when read. So a journal that
 * does not end in a newline gets one first, and the torn line stays a line of its own, skipped.
 */
export function appendJournal(path: string, entry: unknown): void {
  const { j, size } = journal(path, true)!;
  const last = Buffer.alloc(1);
  const torn = size > 0 && size !== j.cleanEnd && readSync(j.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  const line = Buffer.from(`${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
  writeSync(j.fd, line);
  // Where this line ends if nobody else appended meanwhile; if somebody did, the file is longer
  // and the next append looks at its last byte again.
  j.cleanEnd = size + line.length;
}

/** Reads whole lines appended since `from`; a torn last line (crash mid-write) is left for later. */
export function readJournal<T>(path: string, from: number): { lines: T[]; offset: number } {
  const open = journal(path, false);
  if (!open || open.size <= from) return { lines: [], offset: from };
  const { j, size } = open;
  const buf = Buffer.alloc(size - from);
  readSync(j.fd, buf, 0, buf.length, from);
  const text = buf.toString('utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], offset: from };
  if (end === text.length - 1) j.cleanEnd = size;
  const lines: T[] = [];
  for (const raw of text.slice(0, end).split('\n')) {
    try {
      lines.push(JSON.parse(raw) as T);
    } catch {
      // a torn line from a crash in the middle of a write: skip it
    }
  }
  return { lines, offset: from + Buffer.byteLength(text.slice(0, end + 1)) };
}
