import { createServer, type IncomingHttpHeaders } from 'node:http';
import { LoopbackServer } from './loopback-server.js';
import { eventually } from './wait.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A reseller's callback receiver: a real HTTP server on loopback that records every request.
 * Its answers are programmable (`failNext`), to exercise retries.
 */
export class CallbackSink extends LoopbackServer {
  readonly received: ReceivedRequest[] = [];
  #failures: number[] = [];
  #delayMs = 0;

  static async start(): Promise<CallbackSink> {
    let sink: CallbackSink | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        sink!.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        const status = sink!.#failures.shift() ?? 200;
        setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'OK' : 'FAIL'), sink!.#delayMs);
      });
    });
    sink = new CallbackSink(server);
    await LoopbackServer.listening(server);
    return sink;
  }

  /** The next `n` requests get `status` (default 500). */
  failNext(n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.#failures.push(status);
  }

  slow(ms: number): void {
    this.#delayMs = ms;
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    await eventually(() => {
      if (this.received.length < count) throw new Error(`received ${this.received.length} of ${count} callbacks`);
    }, timeoutMs);
    return this.received;
  }
}
