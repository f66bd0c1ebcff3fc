import type { Logger } from 'pino';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { InboundRequest } from '../connectors/types.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { wake, type JobSignal } from '../jobs/queue.js';
import type { Attempts } from '../orders/attempts.js';

export interface CallbackReply {
  status: number;
  body: { ok: boolean; message: string };
}

/**
 * Callbacks from suppliers (`POST|GET /suppliers/<name>/callback`). The connector verifies the
 * signature before anything in the body is trusted; then the answer goes through the same
 * `Attempts.settle` as the worker's own status checks, so a callback can only decide an attempt
 * that is still undecided. Duplicates and late arrivals change nothing (a contradiction is
 * recorded on the order and logged for the operator), and the order's fulfilment job is woken
 * so a failover or the reseller's callback follows at once.
 */
export class InboundCallbacks {
  constructor(private readonly d: { db: Db; connectors: ConnectorRegistry; attempts: Attempts; signal: JobSignal; clock: Clock; log: Logger }) {}

  async receive(supplierName: string, req: InboundRequest): Promise<CallbackReply> {
    const supplier = await this.d.db.kysely.selectFrom('suppliers').select(['id', 'kind', 'updated_at']).where('id', '=', supplierName).executeTakeFirst();
    if (!supplier) return reply(404, 'unknown supplier');
    const connector = await this.d.connectors.get(supplier.id, supplier.updated_at);
    if (!connector.parseCallback) return reply(404, `${supplier.kind} suppliers send no callbacks`);

    const verdict = connector.parseCallback(req);
    if (verdict.kind === 'refused') {
      this.d.log.warn({ supplier: supplier.id, ip: req.ip, reason: verdict.reason }, 'supplier callback refused');
      return reply(verdict.status, verdict.reason);
    }
    if (verdict.kind === 'ack') return reply(200, verdict.note);

    const attempt = await this.d.attempts.byRef(supplier.id, verdict.ref);
    if (!attempt) {
      this.d.log.warn({ supplier: supplier.id, ref: verdict.ref.slice(0, 120) }, 'supplier callback for an unknown reference');
      return reply(404, 'unknown reference');
    }
    if (verdict.kind === 'check') {
      // Unverifiable: nothing in it is applied. The attempt's status is asked of the supplier now.
      const woken = attempt.finished_at === null && (await wake(this.d.db.kysely, `fulfil:${attempt.order_id}`, this.d.clock()));
      if (woken) this.d.signal.notify();
      return reply(200, woken ? 'status check scheduled' : 'already decided');
    }
    const settled = await this.d.attempts.settle(
      attempt,
      verdict.outcome,
      { source: 'callback', exchanges: [{ method: req.method, url: `/suppliers/${supplier.id}/callback`, request: req.rawBody.slice(0, 2000), ms: 0 }] },
      { attempt },
    );
    if (settled.kind !== 'ignored' && (await wake(this.d.db.kysely, `fulfil:${attempt.order_id}`, this.d.clock()))) this.d.signal.notify();
    const message = settled.kind === 'ignored' ? (settled.why === 'duplicate' ? 'already recorded' : 'recorded; not applied (contradicts what kios has)') : 'applied';
    return reply(200, message);
  }
}

function reply(status: number, message: string): CallbackReply {
  return { status, body: { ok: status < 300, message } };
}
