import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendJournal, readJournal } from './journal.js';

describe('simulator journals', () => {
  const dirs: string[] = [];
  const journal = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kios-journal-'));
    dirs.push(dir);
    return join(dir, 'journal.ndjson');
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads back what it appends, line by line, from an offset', () => {
    const path = journal();
    appendJournal(path, { n: 1 });
    const first = readJournal<{ n: number }>(path, 0);
    appendJournal(path, { n: 2 });
    expect(first.lines).toEqual([{ n: 1 }]);
    expect(readJournal(path, first.offset).lines).toEqual([{ n: 2 }]);
  });

  it('a line torn by a crash mid-write is skipped, and the next line appended survives it', () => {
    const path = journal();
    appendJournal(path, { n: 1 });
    // What a SIGKILL in the middle of a write leaves: part of a line, no newline.
    appendFileSync(path, '{"n":2,"outcomes":[["CO');
    expect(readJournal(path, 0).lines).toEqual([{ n: 1 }]);
    appendJournal(path, { n: 3 });
    expect(readJournal(path, 0).lines).toEqual([{ n: 1 }, { n: 3 }]);
    expect(readFileSync(path, 'utf8').endsWith('{"n":3}\n')).toBe(true);
  });

  it('a journal deleted, moved aside or replaced is reopened: no line is written into a file that is gone', () => {
    const path = journal();
    appendJournal(path, { n: 1 });
    rmSync(path);
    expect(readJournal(path, 0)).toEqual({ lines: [], offset: 0 });
    appendJournal(path, { n: 2 });
    renameSync(path, `${path}.old`);
    appendJournal(path, { n: 3 });
    expect(readFileSync(`${path}.old`, 'utf8')).toBe('{"n":2}\n');
    expect(readJournal(path, 0).lines).toEqual([{ n: 3 }]);
    // Replaced by another file under the same name.
    writeFileSync(`${path}.new`, '{"n":0}\n');
    renameSync(`${path}.new`, path);
    appendJournal(path, { n: 4 });
    expect(readJournal(path, 0).lines).toEqual([{ n: 0 }, { n: 4 }]);
  });

  it('lines another process appends in between are read, and ours never glue onto them', () => {
    const path = journal();
    appendJournal(path, { n: 1 });
    appendFileSync(path, '{"n":2}\n');
    appendJournal(path, { n: 3 });
    appendFileSync(path, '{"n":4,"out'); // torn: the other process died mid-write
    appendJournal(path, { n: 5 });
    expect(readJournal(path, 0).lines).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 5 }]);
  });

  // Linux lists a process's open files under /proc/self/fd.
  it.runIf(existsSync('/proc/self/fd'))('keeps a bounded number of journals open, however many it has written', () => {
    const before = readdirSync('/proc/self/fd').length;
    const paths = Array.from({ length: 40 }, () => journal());
    for (const p of paths) appendJournal(p, { p });
    expect(readdirSync('/proc/self/fd').length - before).toBeLessThanOrEqual(16);
    for (const p of paths) expect(readJournal(p, 0).lines).toEqual([{ p }]);
  });
});
