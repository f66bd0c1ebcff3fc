import DataLoader from 'dataloader';

/**
 * A read that hundreds of concurrent handlers make one key at a time (the worker's order, its
 * attempts, its routes, a reseller's signing key; every API request's caller, product and
 * trx_id check), made as one statement per event-loop turn: on PostgreSQL each lone read was a
 * round trip, and the socket writes, not SQL, were what the process spent its time on; on
 * SQLite every statement waited its turn on the one connection. DataLoader collects the keys;
 * nothing is cached, so every load reads committed data at least as fresh as a lone read
 * started at the same moment would.
 *
 * `read` gets distinct keys and returns what it found; a key it did not find gets `missing`.
 * Reads on a request's path take their prepared one-key statement when a turn has one key
 * (a quiet API): a many-key statement is built per batch, which only pays off when shared.
 */
export function batchedRead<K, V>(read: (keys: K[]) => Promise<Map<K, V>>, missing: V, maxBatch = 500): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>(
    async (keys) => {
      const found = await read([...new Set(keys)]);
      return keys.map((k) => (found.has(k) ? found.get(k)! : missing));
    },
    // Keys of one turn's I/O callbacks go together, not only those of one microtask burst.
    { cache: false, maxBatchSize: maxBatch, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (key) => loader.load(key);
}

/** Rows grouped by a key, each group in the rows' order. */
export function groupBy<K, R>(rows: R[], key: (r: R) => K): Map<K, R[]> {
  const groups = new Map<K, R[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}
