import { lookup, type LookupAddress } from 'node:dns';
import { Agent, type Dispatcher } from 'undici';
import { isPublicAddress } from '../security/ip-whitelist.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFn = (hostname: string, options: { all?: boolean }, callback: LookupCallback) => void;

export const PRIVATE_TARGET = 'EKIOS_PRIVATE_TARGET';

/**
 * The connect-time half of the SSRF guard: the socket only ever connects to an address that was
 * checked in the same lookup, so a name that resolved publicly at order time and privately now
 * (DNS rebinding) is refused. IP-literal hosts never reach a lookup; the caller checks those.
 */
export function publicOnlyLookup(resolve: (hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void = defaultResolve): LookupFn {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.find((a) => !isPublicAddress(a.address));
      if (bad || addresses.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`refused: ${hostname} resolves to a non-public address`);
        e.code = PRIVATE_TARGET;
        return callback(e, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

function defaultResolve(hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void): void {
  lookup(hostname, { all: true, verbatim: true }, cb);
}

export function createOutboundDispatcher(opts: { allowPrivate: boolean; timeoutMs: number; lookup?: LookupFn }): Dispatcher {
  return new Agent({
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connectTimeout: Math.min(opts.timeoutMs, 10_000),
    keepAliveTimeout: 10_000,
    connect: opts.allowPrivate ? {} : { lookup: (opts.lookup ?? publicOnlyLookup()) as never },
  });
}
