import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * The load generator every HTTP figure uses runs in a process of its own (`bench/client.ts`:
 * undici's Pool, keep-alive connections, `connections` loops sending back to back, each request
 * timed), as resellers are other machines: the client's work is not charged to the event loop
 * under test, and the hello-world anchor is measured the same way. The callback receiver, which
 * stands for the resellers' servers, lives there too. On a machine with few cores the client still
 * takes CPU from kios, and from the anchor alike.
 */

export interface Load {
  /** Requests per second over the whole run. */
  rate: number;
  p50: number;
  p99: number;
  count: number;
}

/**
 * What to send, as data (it crosses to the client process). In `path`, `headers` and `body`:
 * `{n}` is the request's number plus `from`, zero-padded to 8 digits; `{key}` is an API key taken
 * round robin from `keys`, and `{ekey}` the same, URL-encoded.
 */
export interface RequestPlan {
  /** Request i goes to origins[i % origins.length] (a round-robin balancer in front of several processes). */
  origins: string[];
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  keys?: string[];
  from?: number;
  /** Every answer must have this status (and contain `contains`): a run of refusals would measure something else. */
  status: number;
  contains?: string;
}

export type Until = { count: number } | { ms: number };

export type ToClient = { type: 'load'; id: number; connections: number; until: Until; plan: RequestPlan } | { type: 'received'; id: number } | { type: 'stop' };
export type FromClient = { type: 'ready'; receiver: string } | { type: 'loaded'; id: number; load: Load } | { type: 'failed'; id: number; message: string } | { type: 'received'; id: number; count: number };

let client: { proc: ChildProcess; receiver: string } | null = null;
let asked = 0;

async function started(): Promise<{ proc: ChildProcess; receiver: string }> {
  if (client) return client;
  const file = fileURLToPath(new URL('./client.ts', import.meta.url));
  const proc = fork(file, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await Promise.race([once(proc, 'message'), once(proc, 'exit').then(() => [null])])) as [FromClient | null];
  if (ready?.type !== 'ready') throw new Error('the load client did not start');
  client = { proc, receiver: ready.receiver };
  return client;
}

function ask<T extends FromClient['type']>(message: ToClient & { id: number }, answer: T): Promise<Extract<FromClient, { type: T }>> {
  const proc = client!.proc;
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromClient) => {
      if (!('id' in m) || m.id !== message.id) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      if (m.type === 'failed') reject(new Error(m.message));
      else if (m.type === answer) resolve(m as Extract<FromClient, { type: T }>);
    };
    const onExit = () => reject(new Error('the load client exited'));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
    proc.send(message);
  });
}

/** `connections` loops sending `plan`'s requests until `until` is reached; the rate and latency percentiles. */
export async function load(connections: number, until: Until, plan: RequestPlan): Promise<Load> {
  await started();
  return (await ask({ type: 'load', id: ++asked, connections, until, plan }, 'loaded')).load;
}

/** The loopback receiver standing for the resellers' servers: its URL, and how many requests got a 2xx. */
export const receiver = {
  async url(): Promise<string> {
    return (await started()).receiver;
  },
  async count(): Promise<number> {
    await started();
    return (await ask({ type: 'received', id: ++asked }, 'received')).count;
  },
};

/** Ends the client process (at the end of the bench). */
export async function stopLoadClient(): Promise<void> {
  if (!client) return;
  const { proc } = client;
  client = null;
  if (proc.exitCode !== null) return;
  const exited = once(proc, 'exit');
  proc.send({ type: 'stop' } satisfies ToClient);
  await exited;
}
