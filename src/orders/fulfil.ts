import type { Logger } from 'pino';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { CallContext, StatusOutcome, SupplierConnector } from '../connectors/types.js';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Job, Order, OrderAttempt } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { defaultInputs, type FormInput } from '../domain/input-form.js';
import type { RateGate } from '../suppliers/rate-gate.js';
import type { JobResult } from '../worker/worker.js';
import type { Answer, Attempts, Settled } from './attempts.js';
import { batchedRead, groupBy } from '../db/batched-read.js';
import { RoutePicker } from './routing.js';
import type { OrderTransitions } from './transitions.js';

/** A job run that fails over more than this many times in a row is suspicious: stop and look again later. */
const MAX_STEPS = 20;

/**
 * The fulfilment job of one order: buy it through its routes in priority order, one attempt at
 * a time, and follow the current attempt with status checks until a supplier gives a final answer.
 *
 * Crash safety: an attempt is committed as `sending`, with its reference `<order id>-<n>`, before
 * its purchase is sent. A run that finds an attempt `sending` does not know whether the supplier
 * got it, so it asks with a status check and re-sends (the same reference, which the supplier
 * deduplicates) only if the supplier has never heard of it. An ambiguous answer (timeout, 5xx,
 * exception) keeps the attempt undecided: it is re-checked on the back-off schedule and never
 * refunded nor failed over on a guess. Attempt n+1 exists only once attempt n was refused
 * explicitly, so two suppliers never hold the same order at once; the order is FAILED (and
 * refunded) only when every active route refused it for reasons of its own. A refusal of kios's
 * account (credentials, signature) says nothing about the order: when no other route is left the
 * order waits for the operator's fix and that route is tried again, on the re-check schedule. Answers are applied by `Attempts.settle`,
 * the same code that applies supplier callbacks, so a callback and this job never both decide.
 */
export class Fulfilment {
  /** An order and its attempts, read for many jobs at once (`batchedRead`). */
  readonly #state: (orderId: string) => Promise<{ order: Order; attempts: OrderAttempt[] } | null>;
  readonly #routes: RoutePicker;

  constructor(
    private readonly d: {
      db: Db;
      connectors: ConnectorRegistry;
      attempts: Attempts;
      transitions: OrderTransitions;
      gate: RateGate;
      clock: Clock;
      recheckScheduleMs: number[];
      supplierTimeoutMs: number;
      metrics: Metrics;
      log: Logger;
    },
  ) {
    const k = d.db.kysely;
    this.#state = batchedRead(async (ids: string[]) => {
      const [orders, attempts] = await Promise.all([
        k.selectFrom('orders').selectAll().where('id', 'in', ids).execute(),
        k.selectFrom('order_attempts').selectAll().where('order_id', 'in', ids).orderBy('n').execute(),
      ]);
      const byOrder = groupBy(attempts, (a) => a.order_id);
      return new Map(orders.map((order) => [order.id, { order, attempts: byOrder.get(order.id) ?? [] }]));
    }, null);
    this.#routes = new RoutePicker(k);
  }

  readonly handle = async (job: Job): Promise<JobResult> => {
    if (!job.order_id) return { kind: 'dead', error: 'fulfil job without order' };
    for (let step = 0; step < MAX_STEPS; step++) {
      const state = await this.#state(job.order_id);
      if (!state) return { kind: 'dead', error: `order ${job.order_id} not found` };
      const { order, attempts } = state;
      if (order.status !== 'PENDING') return { kind: 'done' };

      const current = attempts.at(-1);
      const next = current === undefined || current.state === 'failed' || current.state === 'reversed' ? await this.#buy(order, attempts) : await this.#follow(current);
      switch (next.kind) {
        case 'final':
          return { kind: 'done' };
        case 'failover':
        case 'ignored':
          continue; // read the order and its attempts again: the next route, or what decided it
        case 'waiting':
          return this.#later(next.checks, 'pending at the supplier');
        case 'retry':
          return next.result;
      }
    }
    return this.#later(0, `still undecided after ${MAX_STEPS} steps`);
  };

  /** Starts the next attempt on the first route not tried yet, or fails the order when none is left. */
  async #buy(order: Order, attempts: OrderAttempt[]): Promise<Settled | { kind: 'retry'; result: JobResult }> {
    let route = await this.#routes.next(order.product_id, attempts);
    const accountRefusals = attempts.filter((a) => a.state === 'failed' && a.scope === 'account');
    if (!route && accountRefusals.length > 0) {
      const last = attempts.at(-1)!;
      const s = this.d.recheckScheduleMs;
      const retryAt = (last.finished_at ?? last.started_at) + (s[Math.min(accountRefusals.length - 1, s.length - 1)] ?? 60_000);
      if (this.d.clock() < retryAt) return { kind: 'retry', result: { kind: 'retry', at: retryAt, error: 'waiting for the operator to fix a supplier account' } };
      route = await this.#routes.next(order.product_id, attempts.filter((a) => a.scope !== 'account'));
    }
    if (!route) {
      const last = attempts.at(-1);
      const reason = last?.reason ?? 'no supplier can fulfil this product';
      await this.d.transitions.finalise(order.id, { status: 'FAILED', reason }, 'fulfilment');
      return { kind: 'final' };
    }
    const connector = await this.#connector(route.supplierId, route.supplierVersion);
    if ('retry' in connector) return connector.retry;

    const n = (attempts.at(-1)?.n ?? 0) + 1;
    const limit = connector.c.rateLimit;
    const started = await this.d.attempts.start(order, n, route, limit ? (trx) => this.d.gate.takeIn(trx, route.supplierId, limit) : null);
    if (!started) return { kind: 'ignored', why: 'duplicate' };
    if ('freeAt' in started) return this.#wait(route.supplierId, started.freeAt);
    return this.#purchase(connector.c, order, started);
  }

  /** Asks about an undecided attempt; re-sends it only if the supplier never received it. */
  async #follow(attempt: OrderAttempt): Promise<Settled | { kind: 'retry'; result: JobResult }> {
    const connector = await this.#connector(attempt.supplier_id);
    if ('retry' in connector) return connector.retry;
    const deferred = await this.#deferred(attempt.supplier_id, connector.c);
    if (deferred) return deferred;

    const order = (await this.#state(attempt.order_id))?.order;
    if (!order) throw new Error(`order ${attempt.order_id} of attempt ${attempt.ref} does not exist`);
    const call: CallContext = { exchanges: [] };
    const input = { ...this.#purchaseInput(order, attempt), supplierRef: attempt.supplier_ref };
    const answer = await this.#ask(attempt.supplier_id, () => connector.c.status(input, call));
    if (answer.kind === 'not_found' && attempt.state === 'sending') {
      // The purchase never reached the supplier: sending it now cannot buy twice.
      return this.#purchase(connector.c, order, attempt, call.exchanges);
    }
    return this.d.attempts.settle(attempt, answer, { source: 'status', exchanges: call.exchanges }, { attempt, order });
  }

  async #purchase(connector: SupplierConnector, order: Order, attempt: OrderAttempt, earlier: CallContext['exchanges'] = []): Promise<Settled> {
    const call: CallContext = { exchanges: [...earlier] };
    const started = this.d.clock();
    const answer = await this.#ask(attempt.supplier_id, () => connector.purchase(this.#purchaseInput(order, attempt), call));
    return this.d.attempts.settle(attempt, answer, { source: 'purchase', exchanges: call.exchanges, durationMs: this.d.clock() - started }, { attempt, order });
  }

  #purchaseInput(order: Order, attempt: OrderAttempt) {
    const inputs: FormInput[] = order.inputs === null ? defaultInputs(order.user_id, order.server_id) : (JSON.parse(order.inputs) as FormInput[]);
    return { ref: attempt.ref, sku: attempt.sku, userId: order.user_id, serverId: order.server_id, inputs, price: order.amount, cost: attempt.cost };
  }

  async #connector(supplierId: string, version?: number): Promise<{ c: SupplierConnector } | { retry: { kind: 'retry'; result: JobResult } }> {
    try {
      return { c: await this.d.connectors.get(supplierId, version) };
    } catch (err) {
      // A misconfigured supplier is the operator's to fix; the paid order waits, it is not failed.
      this.d.log.error({ err, supplier: supplierId }, 'supplier unavailable for fulfilment');
      return { retry: { kind: 'retry', result: this.#later(0, `supplier ${supplierId} unavailable: ${(err as Error).message}`) } };
    }
  }

  /** Beyond the supplier's declared rate limit the job waits for a free slot: queued, never dropped. */
  async #deferred(supplierId: string, connector: SupplierConnector): Promise<{ kind: 'retry'; result: JobResult } | null> {
    const freeAt = await this.d.gate.take(supplierId, connector.rateLimit);
    return freeAt === null ? null : this.#wait(supplierId, freeAt);
  }

  #wait(supplierId: string, freeAt: number): { kind: 'retry'; result: JobResult } {
    return { kind: 'retry', result: { kind: 'retry', at: freeAt, error: `rate limit of supplier ${supplierId}` } };
  }

  /**
   * Calls the supplier with a hard time limit; any error or silence is an ambiguous answer.
   * Every purchase and status call passes here exactly once, so this is where calls are counted
   * (`Attempts.settle` also applies supplier callbacks, and misses a status call that is
   * followed by a re-sent purchase).
   */
  async #ask(supplierId: string, call: () => Promise<StatusOutcome>): Promise<Answer> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.d.supplierTimeoutMs} ms`)), this.d.supplierTimeoutMs);
      });
      const answer = await Promise.race([call(), timeout]);
      this.d.metrics.supplierCalls.inc({ supplier: supplierId, outcome: answer.kind });
      return answer;
    } catch (err) {
      this.d.metrics.supplierCalls.inc({ supplier: supplierId, outcome: 'error' });
      return { kind: 'pending', reason: err instanceof Error ? err.message : String(err), ambiguous: true };
    } finally {
      clearTimeout(timer);
    }
  }

  #later(checks: number, error: string): JobResult {
    const s = this.d.recheckScheduleMs;
    const delay = s[Math.min(Math.max(checks, 0), s.length - 1)] ?? 60_000;
    return { kind: 'retry', at: this.d.clock() + delay, error };
  }
}
