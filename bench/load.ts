/**
 * The load generator every HTTP figure uses (undici's Pool, keep-alive connections): `clients`
 * loops send requests back to back, each request timed, so a figure comes with its latency
 * percentiles and not only its rate.
 */

export interface Load {
  /** Requests per second over the whole run. */
  rate: number;
  p50: number;
  p99: number;
  count: number;
}

/** `clients` loops calling `send(i)` until `count` calls (or `ms` milliseconds) are done. */
export async function load(clients: number, until: { count: number } | { ms: number }, send: (i: number) => Promise<void>): Promise<Load> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = 'ms' in until ? t0 + until.ms : Infinity;
  const total = 'count' in until ? until.count : Infinity;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total && performance.now() < deadline) {
        const i = next++;
        const started = performance.now();
        await send(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rate: latencies.length / seconds, p50: at(0.5), p99: at(0.99), count: latencies.length };
}
