import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
export class CallbackSink {
  readonly received: ReceivedRequest[] = [];
  #failures: number[] = [];
  #server: Server;
  #delayMs = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
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

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
