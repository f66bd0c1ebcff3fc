import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/db/coalesce.js';

/** A flush the test finishes by hand, to see what waits for what. */
function gatedFlush() {
  const calls: { items: number[]; finish: (err?: Error) => void }[] = [];
  const flush = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items, finish: (err) => (err ? reject(err) : resolve()) });
    });
  return { calls, flush };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('writes the items of one turn together, and those that arrive during a flush together in the next', async () => {
    const { calls, flush } = gatedFlush();
    const c = new Coalescer(flush);
    const settled: number[] = [];
    const push = (n: number) => c.push(n).then(() => settled.push(n));
    const first = [push(1), push(2), push(3)];
    await turn();
    expect(calls.map((x) => x.items)).toEqual([[1, 2, 3]]);
    const second = [push(4), push(5)];
    await turn();
    // Nothing is answered, and no second statement starts, before the first flush returns.
    expect(settled).toEqual([]);
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await Promise.all(first);
    await turn();
    expect(calls.map((x) => x.items)).toEqual([[1, 2, 3], [4, 5]]);
    expect(settled).toEqual([1, 2, 3]);
    calls[1]!.finish();
    await Promise.all(second);
    expect(settled).toEqual([1, 2, 3, 4, 5]);
  });

  it("a failed flush rejects exactly its own items, and the next batch still goes", async () => {
    const { calls, flush } = gatedFlush();
    const c = new Coalescer(flush);
    const a = c.push(1);
    const b = c.push(2);
    await turn();
    const later = c.push(3);
    calls[0]!.finish(new Error('disk full'));
    await expect(a).rejects.toThrow('disk full');
    await expect(b).rejects.toThrow('disk full');
    await turn();
    expect(calls[1]!.items).toEqual([3]);
    calls[1]!.finish();
    await expect(later).resolves.toBeUndefined();
  });

  it('never puts more than `max` items in one flush', async () => {
    const sizes: number[] = [];
    const c = new Coalescer(async (items: number[]) => void sizes.push(items.length), 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.push(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it("each push resolves to its own item's result, across batches", async () => {
    const c = new Coalescer(async (items: number[]) => items.map((n) => n * 10), 3);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => c.push(n)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
  });
});
