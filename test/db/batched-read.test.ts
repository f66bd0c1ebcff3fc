import { describe, expect, it } from 'vitest';
import { batchedRead } from '../../src/db/batched-read.js';

describe('batchedRead', () => {
  it('reads the keys of one turn in one call, each distinct key once, and gives missing keys the fallback', async () => {
    const calls: string[][] = [];
    const table = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    const read = batchedRead(async (keys: string[]) => {
      calls.push(keys);
      return new Map(keys.filter((k) => table.has(k)).map((k) => [k, table.get(k)!]));
    }, null);
    // Loads from separate callbacks of the same turn (as I/O completions are), not one microtask burst.
    const fromCallback = (key: string) => new Promise((r) => setImmediate(() => r(read(key))));
    const loads = await Promise.all([fromCallback('a'), fromCallback('b'), fromCallback('a'), fromCallback('zz')]);
    expect(loads).toEqual([1, 2, 1, null]);
    expect(calls).toEqual([['a', 'b', 'zz']]);
  });

  it('caches nothing: a later load sees a later value', async () => {
    let value = 1;
    const read = batchedRead(async (keys: string[]) => new Map(keys.map((k) => [k, value])), 0);
    expect(await read('x')).toBe(1);
    value = 2;
    expect(await read('x')).toBe(2);
  });

  it('a failed read fails every load of its batch, and the next batch reads again', async () => {
    let fail = true;
    const read = batchedRead(async (keys: string[]) => {
      if (fail) throw new Error('connection lost');
      return new Map(keys.map((k) => [k, k.length]));
    }, 0);
    const [a, b] = await Promise.allSettled([read('one'), read('three')]);
    expect(a).toMatchObject({ status: 'rejected', reason: { message: 'connection lost' } });
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'connection lost' } });
    fail = false;
    expect(await read('three')).toBe(5);
  });
});
