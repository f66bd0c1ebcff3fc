import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A test receiver: a real HTTP server on a free loopback port. */
export class LoopbackServer {
  constructor(protected readonly server: Server) {}

  protected static async listening(server: Server): Promise<void> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
