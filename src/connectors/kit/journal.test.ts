import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
