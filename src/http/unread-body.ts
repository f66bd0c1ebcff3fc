import type { Duplex } from 'node:stream';
import type { onSendHookHandler } from 'fastify';

/**
 * Connections answered while their request body was still arriving. Whatever goes wrong in the
 * rest of that body (a timeout, a malformed chunk) must not write a second answer after the first.
 */
const answeredEarly = new WeakSet<Duplex>();

export function answeredBeforeBodyEnd(socket: Duplex): boolean {
  return answeredEarly.has(socket);
}

/**
 * An onSend hook for answers sent before the request body has been read to its end: a 413, an
 * unknown key, a rate limit. Fastify marks body errors `Connection: close`, and Node closes such a
 * socket as soon as the answer is written; closing over unread bytes makes the kernel reset the
 * connection, so a client still uploading gets EPIPE or ECONNRESET and often never reads the
 * answer. Instead the connection stays open and Node's parser reads the rest of the body and drops
 * it (nothing is buffered), up to `limit` bytes; beyond that the connection is cut. A body
 * declared longer than `limit` is not worth reading: it keeps `Connection: close`.
 */
export function drainUnreadBody(limit: number): onSendHookHandler {
  return (req, reply, payload, done) => {
    const raw = req.raw;
    if (!raw.complete && !raw.destroyed) {
      if (Number(raw.headers['content-length']) > limit) {
        reply.header('connection', 'close');
      } else {
        reply.removeHeader('connection');
        const socket = raw.socket;
        answeredEarly.add(socket);
        let discarded = 0;
        raw.on('data', (chunk: Buffer) => {
          discarded += chunk.length;
          if (discarded > limit) socket.destroy();
        });
        // The body is over: the connection carries the next request like any other.
        raw.once('end', () => answeredEarly.delete(socket));
      }
    }
    done(null, payload);
  };
}
