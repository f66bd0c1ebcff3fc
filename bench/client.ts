import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import type { FromClient, Load, RequestPlan, ToClient, Until } from './load.js';

/** The bench's load generator and callback receiver, in a process of their own (see load.ts). */

const send = (m: FromClient) => process.send!(m);

let received = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.end('ok');
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));

process.on('message', (m: ToClient) => {
  if (m.type === 'load') run(m.connections, m.until, m.plan).then((load) => send({ type: 'loaded', id: m.id, load }), (err: Error) => send({ type: 'failed', id: m.id, message: err.message }));
  else if (m.type === 'received') send({ type: 'received', id: m.id, count: received });
  else if (m.type === 'stop') sink.close(() => process.exit(0));
});
send({ type: 'ready', receiver: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/cb` });

async function run(connections: number, until: Until, plan: RequestPlan): Promise<Load> {
  const pools = plan.origins.map((o) => new Pool(o, { connections }));
  const keys = plan.keys ?? [''];
  const ekeys = keys.map(encodeURIComponent);
  const from = plan.from ?? 0;
  const fill = (template: string, i: number) => template.replaceAll('{n}', String(from + i).padStart(8, '0')).replaceAll('{key}', keys[i % keys.length]!).replaceAll('{ekey}', ekeys[i % keys.length]!);
  const headerEntries = Object.entries(plan.headers ?? {});
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = 'ms' in until ? t0 + until.ms : Infinity;
  const total = 'count' in until ? until.count : Infinity;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < total && performance.now() < deadline) {
          const i = next++;
          const headers = Object.fromEntries(headerEntries.map(([k, v]) => [k, fill(v, i)]));
          const started = performance.now();
          const res = await pools[i % pools.length]!.request({ method: plan.method, path: fill(plan.path, i), headers, body: plan.body === undefined ? undefined : fill(plan.body, i) });
          const text = await res.body.text();
          latencies.push(performance.now() - started);
          if (res.statusCode !== plan.status || (plan.contains !== undefined && !text.includes(plan.contains))) throw new Error(`${plan.method} ${fill(plan.path, i)}: ${res.statusCode} ${text}`);
        }
      }),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rate: latencies.length / seconds, p50: at(0.5), p99: at(0.99), count: latencies.length };
}
