import type { Logger } from 'pino';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { StatusOutcome, SupplierConnector, SupplierOutcome } from '../connectors/types.js';
import type { Db } from '../db/index.js';
import type { Job, Order } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { partialRefund } from '../domain/money.js';
import type { JobResult } from '../worker/worker.js';
import { recordEvent } from './events.js';
import type { OrderTransitions } from './transitions.js';

/** A supplier answer, or the absence of one (`ambiguous`: we cannot know what the supplier did). */
type Answer = (StatusOutcome & { ambiguous?: false }) | { kind: 'pending'; reason: string; ambiguous: true };

/**
 * The fulfilment job of one order: send it to the supplier once, then follow it up with status
 * checks until the supplier gives a final answer.
 *
 * Crash safety: before the purchase is sent the order is marked `sending` (committed). A job that
 * finds `sending` after a crash does not know whether the supplier got the order, so it asks with
 * a status check and re-sends (with the same reference, which the supplier deduplicates) only if
 * the supplier has never heard of it. An ambiguous answer (timeout, 5xx, exception) keeps the
 * order PENDING: it is re-checked on the back-off schedule and never refunded on a guess.
 */
export class Fulfilment {
  constructor(
    private readonly d: {
      db: Db;
      connectors: ConnectorRegistry;
      transitions: OrderTransitions;
      clock: Clock;
      recheckScheduleMs: number[];
      supplierTimeoutMs: number;
      log: Logger;
    },
  ) {}

  readonly handle = async (job: Job): Promise<JobResult> => {
    if (!job.order_id) return { kind: 'dead', error: 'fulfil job without order' };
    const order = await this.d.db.kysely.selectFrom('orders').selectAll().where('id', '=', job.order_id).executeTakeFirst();
    if (!order) return { kind: 'dead', error: `order ${job.order_id} not found` };
    if (order.status !== 'PENDING') return { kind: 'done' };
    if (!order.supplier_id || !order.supplier_sku) {
      await this.d.transitions.finalise(order.id, { status: 'FAILED', reason: 'no supplier route' }, 'fulfilment');
      return { kind: 'done' };
    }

    let connector: SupplierConnector;
    try {
      connector = await this.d.connectors.get(order.supplier_id);
    } catch (err) {
      // A misconfigured supplier is the operator's to fix; the paid order waits, it is not failed.
      this.d.log.error({ err, order: order.id, supplier: order.supplier_id }, 'supplier unavailable for fulfilment');
      return this.#later(job, `supplier unavailable: ${(err as Error).message}`);
    }

    let answer: Answer;
    let sent = false;
    if (order.supplier_state === 'new') {
      const claimed = await this.d.db.kysely
        .updateTable('orders')
        .set({ supplier_state: 'sending', updated_at: this.d.clock() })
        .where('id', '=', order.id)
        .where('supplier_state', '=', 'new')
        .where('status', '=', 'PENDING')
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return this.#later(job, 'order changed under this job');
      answer = await this.#purchase(connector, order);
      sent = true;
    } else {
      answer = await this.#ask(() => connector.status({ orderId: order.id, sku: order.supplier_sku!, supplierRef: order.supplier_ref }));
      if (answer.kind === 'not_found') {
        if (order.supplier_state === 'sending') {
          // The earlier attempt never reached the supplier: sending now cannot buy twice.
          answer = await this.#purchase(connector, order);
          sent = true;
        } else {
          this.d.log.warn({ order: order.id }, 'supplier no longer knows an order it accepted; keeping it pending');
          answer = { kind: 'pending', reason: 'supplier does not know this order', ambiguous: true };
        }
      }
    }
    await recordEvent(this.d.db.kysely, order.id, sent ? 'supplier_purchase' : 'supplier_status', this.d.clock(), summarise(answer));
    return this.#apply(job, order, answer);
  };

  #purchase(connector: SupplierConnector, order: Order): Promise<Answer> {
    return this.#ask(() =>
      connector.purchase({ orderId: order.id, sku: order.supplier_sku!, userId: order.user_id, serverId: order.server_id, price: order.amount }),
    );
  }

  /** Calls the supplier with a hard time limit; any error or silence is an ambiguous answer. */
  async #ask(call: () => Promise<StatusOutcome>): Promise<Answer> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.d.supplierTimeoutMs} ms`)), this.d.supplierTimeoutMs);
      });
      return await Promise.race([call(), timeout]);
    } catch (err) {
      return { kind: 'pending', reason: err instanceof Error ? err.message : String(err), ambiguous: true };
    } finally {
      clearTimeout(timer);
    }
  }

  async #apply(job: Job, order: Order, answer: Answer): Promise<JobResult> {
    switch (answer.kind) {
      case 'success':
        await this.d.transitions.finalise(order.id, { status: 'SUCCESS', supplierRef: answer.ref, sn: answer.sn ?? null, voucher: answer.voucher ?? null }, 'supplier');
        return { kind: 'done' };
      case 'failed':
        await this.d.transitions.finalise(order.id, { status: 'FAILED', reason: answer.reason }, 'supplier');
        return { kind: 'done' };
      case 'partial': {
        const refund = partialRefund(order.amount, answer.delivered, answer.total);
        if (refund === 0) {
          await this.d.transitions.finalise(order.id, { status: 'SUCCESS', supplierRef: answer.ref, sn: answer.sn ?? null, voucher: null }, 'supplier');
        } else if (refund === order.amount) {
          await this.d.transitions.finalise(order.id, { status: 'FAILED', reason: 'nothing delivered' }, 'supplier');
        } else {
          const reason = `Terkirim sebagian ${answer.delivered}/${answer.total}`;
          await this.d.transitions.finalise(order.id, { status: 'PARTIAL_SUCCESS', supplierRef: answer.ref, sn: answer.sn ?? null, refund, reason }, 'supplier');
        }
        return { kind: 'done' };
      }
      case 'pending': {
        if (!answer.ambiguous) {
          // The supplier holds the order: from now on only status checks, never a re-send.
          await this.d.db.kysely
            .updateTable('orders')
            .set({ supplier_state: 'sent', supplier_ref: answer.ref ?? order.supplier_ref, updated_at: this.d.clock() })
            .where('id', '=', order.id)
            .where('status', '=', 'PENDING')
            .execute();
        }
        return this.#later(job, answer.reason ?? 'pending at supplier');
      }
      case 'not_found':
        return this.#later(job, 'supplier does not know this order');
    }
  }

  #later(job: Job, error: string): JobResult {
    const s = this.d.recheckScheduleMs;
    const delay = s[Math.min(Math.max(job.attempts - 1, 0), s.length - 1)] ?? 60_000;
    return { kind: 'retry', at: this.d.clock() + delay, error };
  }
}

function summarise(a: Answer): Record<string, unknown> {
  const { raw, ...rest } = a as SupplierOutcome & { raw?: unknown };
  const rawText = raw === undefined ? undefined : JSON.stringify(raw).slice(0, 1000);
  return { ...rest, ...(rawText ? { raw: rawText } : {}) };
}
