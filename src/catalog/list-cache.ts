/**
 * Answers built from the catalog (a tier's product list), kept in memory under the catalog
 * version they were built at (migration 0012). A caller passes the version it read in the same
 * round trip as its API key, so a change any process commits is seen on the very next request,
 * and an unchanged catalog is never read again.
 *
 * Why this is exact: the version is read before the answer is built, so an answer is never
 * older than the version it is filed under (it can only be newer, which is harmless). Any other
 * version than the one held (newer, or older after a restore) drops every answer.
 *
 * Concurrent misses share one build. The number of keys is bounded (a key can carry request
 * input such as a category id): when full, the cache starts over.
 */
export class CatalogListCache<T> {
  #version: number | undefined;
  readonly #entries = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries = 512) {}

  get(version: number, key: string, build: () => Promise<T>): Promise<T> {
    if (version !== this.#version) {
      this.#version = version;
      this.#entries.clear();
    }
    const held = this.#entries.get(key);
    if (held) return held;
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    const built = build();
    this.#entries.set(key, built);
    // A failed build is not an answer to keep: the next request tries again.
    built.catch(() => {
      if (this.#entries.get(key) === built) this.#entries.delete(key);
    });
    return built;
  }
}
