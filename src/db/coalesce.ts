/**
 * Writes that arrive faster than the database answers share statements: items pushed while a
 * flush is in flight wait for it and go together in the next one (at most `max` at a time). On
 * PostgreSQL every lone autocommit write is a round trip and a commit; at hundreds of jobs a
 * second, one statement for the lot is the difference. The first item of an idle coalescer waits
 * only for the end of the current event-loop turn, so the items of one turn go together.
 *
 * Each `push` resolves only once the flush that wrote its item has returned, and rejects with that
 * flush's error: a caller never goes on as if its write were done when it is not. A flush may
 * return one result per item, in the items' order (what became of each row), which its `push`
 * resolves to.
 */
export class Coalescer<T, R = void> {
  #queue: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  #running = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[] | void>,
    private readonly max = 500,
  ) {}

  push(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.max);
        try {
          const results = await this.flush(batch.map((p) => p.item));
          batch.forEach((p, i) => p.resolve(results?.[i] as R));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
