import { sql, type Transaction, type Updateable } from 'kysely';
import type { Logger } from 'pino';
import { isUniqueViolation, type Db } from '../db/index.js';
import { Coalescer } from '../db/coalesce.js';
import { prepared } from '../db/prepared.js';
import type { AttemptState, Database, Order, OrderAttempt, OrderAttemptTable } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { partialRefund } from '../domain/money.js';
import type { Alert, OperatorAlerts } from '../alerts/operator-alerts.js';
import type { Exchange, StatusOutcome } from '../connectors/types.js';
import { withEvents, type EventInput } from './events.js';
import { answerRecord, settleSuccesses, type Conflict, type Delivery } from './settle-successes.js';
import type { Finalisation, OrderTransitions } from './transitions.js';

/**
 * A supplier's answer about one attempt, or the absence of one (a timeout or an exception is an
 * ambiguous `pending`: nothing may be concluded from it).
 */
export type Answer = StatusOutcome;

export type AnswerSource = 'purchase' | 'status' | 'callback';

/** What applying an answer did, and so what the fulfilment job does next. */
export type Settled =
  /** The order has its final status (now or already). */
  | { kind: 'final' }
  /** The attempt was refused explicitly: the next route may be tried. */
  | { kind: 'failover' }
  /** Still undecided at the supplier: check again later. */
  | { kind: 'waiting'; checks: number }
  /** An answer about a decided attempt that changes nothing: a duplicate, or one that contradicts it. */
  | { kind: 'ignored'; why: 'duplicate' | 'conflict' };

/** What the caller of `settle` already read: the attempt (and its order) as they were then. */
export interface Known {
  attempt: OrderAttempt;
  order?: Order;
}

export interface Route {
  supplierId: string;
  sku: string;
  cost: number | null;
}

const UNDECIDED: ReadonlySet<AttemptState> = new Set(['sending', 'sent']);

/** The attempt reference sent to the supplier: derived, so a crash and a re-run use the same one. */
export function attemptRef(orderId: string, n: number): string {
  return `${orderId}-${n}`;
}

/**
 * Attempts of an order at its suppliers, and the one place a supplier's answer is applied: a
 * purchase reply, a status check and a callback all go through `settle`, which records the
 * answer, moves the attempt by compare-and-set on its state, and (for a final answer) moves the
 * order, its money and its callback in the same transaction. Whoever learns an outcome first
 * wins; the other finds the attempt decided and changes nothing.
 */
export class Attempts {
  /**
   * New attempts, one statement for those of a turn: each row is inserted only while its order is
   * PENDING and its number is free (another run may have started it), and each caller learns
   * whether its own row went in. Its `push` resolves once the statement has committed, so the
   * attempt is on record before its purchase goes out. (The casts give PostgreSQL the types a
   * VALUES list cannot infer.)
   */
  readonly #starts = new Coalescer<OrderAttempt, boolean>(async (attempts) => {
    const values = sql.join(
      attempts.map((a) => sql`(${a.order_id}, cast(${a.n} as integer), ${a.supplier_id}, ${a.sku}, cast(${a.cost} as bigint), ${a.ref}, cast(${a.started_at} as bigint))`),
    );
    const r = await sql<{ order_id: string; n: number }>`with v (order_id, n, supplier_id, sku, cost, ref, started_at) as (values ${values})
      insert into order_attempts (order_id, n, supplier_id, sku, cost, ref, state, checks, started_at)
      select v.order_id, v.n, v.supplier_id, v.sku, v.cost, v.ref, 'sending', 0, v.started_at from v
      where exists (select 1 from orders o where o.id = v.order_id and o.status = 'PENDING')
      on conflict do nothing
      returning order_id, n`.execute(this.d.db.kysely);
    const inserted = new Set(r.rows.map((row) => `${row.order_id}\u0000${Number(row.n)}`));
    // Two runs of one order starting the same attempt in one batch: one row went in, the first
    // asker has it, the other gets what it would alone (taken).
    return attempts.map((a) => inserted.delete(`${a.order_id}\u0000${a.n}`));
  });

  /**
   * Deliveries (`settleSuccesses`), one transaction for those of a turn. Each `push` resolves
   * once that transaction has committed: true when its delivery was applied, false when its
   * attempt had moved since the job read it (then settled afresh, as alone). Two deliveries of
   * one attempt in a batch: the second is settled afresh, and finds the first's answer.
   */
  readonly #deliveries = new Coalescer<Delivery, boolean>(async (batch) => {
    const first = new Map<string, Delivery>();
    for (const delivery of batch) {
      const k = `${delivery.attempt.order_id}\u0000${delivery.attempt.n}`;
      if (!first.has(k)) first.set(k, delivery);
    }
    const conflict: Conflict = (events, attempt, answer, now, why) => this.#conflict(events, attempt, answer, now, why);
    const { moved, callbackQueued } = await this.d.db.transaction((trx) => settleSuccesses(trx, { transitions: this.d.transitions, conflict }, [...first.values()], this.d.clock()));
    if (callbackQueued) this.d.transitions.notify();
    return batch.map((delivery) => first.get(`${delivery.attempt.order_id}\u0000${delivery.attempt.n}`) === delivery && !moved.has(delivery));
  });

  constructor(private readonly d: { db: Db; transitions: OrderTransitions; alerts: OperatorAlerts; clock: Clock; log: Logger }) {}

  list(orderId: string): Promise<OrderAttempt[]> {
    return attemptsOf.all(this.d.db.kysely, { orderId });
  }

  async byRef(supplierId: string, ref: string): Promise<OrderAttempt | null> {
    const row = await this.d.db.kysely.selectFrom('order_attempts').selectAll().where('supplier_id', '=', supplierId).where('ref', '=', ref).executeTakeFirst();
    return row ?? null;
  }

  /**
   * Records attempt `n` as `sending` before its purchase goes out (committed first: after a crash
   * the attempt is known and its reference is asked about before anything is re-sent). `slot`
   * takes the supplier's rate-limit slot in the same transaction; when none is free nothing is
   * recorded and the time one frees is returned. Null when the order is no longer pending or
   * another run started this attempt.
   */
  async start(order: Order, n: number, route: Route, slot: ((trx: Transaction<Database>) => Promise<number | null>) | null): Promise<OrderAttempt | { freeAt: number } | null> {
    const now = this.d.clock();
    const attempt: OrderAttempt = {
      order_id: order.id,
      n,
      supplier_id: route.supplierId,
      sku: route.sku,
      cost: route.cost,
      ref: attemptRef(order.id, n),
      supplier_ref: null,
      state: 'sending',
      reason: null,
      scope: null,
      request: null,
      response: null,
      checks: 0,
      started_at: now,
      answered_at: null,
      finished_at: null,
      duration_ms: null,
    };
    try {
      if (!slot) {
        // No rate limit: the hot path, written with the attempts other jobs start in the same turn.
        return (await this.#starts.push(attempt)) ? attempt : null;
      }
      return await this.d.db.transaction(async (trx) => {
        const current = await trx.selectFrom('orders').select('status').where('id', '=', order.id).executeTakeFirst();
        if (current?.status !== 'PENDING') return null;
        const freeAt = await slot(trx);
        if (freeAt !== null) return { freeAt };
        // Started when its slot was taken (after any wait for the gate's lock).
        const taken = { ...attempt, started_at: this.d.clock() };
        await trx.insertInto('order_attempts').values(taken).execute();
        return taken;
      });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * Applies one answer about an attempt. The attempt is read again inside the transaction (and
   * locked, where the database has row locks), so the answer meets its current state: an answer
   * crossing another one (a callback and a status check) finds it decided and changes nothing.
   */
  async settle(key: { order_id: string; n: number }, answer: Answer, how: { source: AnswerSource; exchanges: Exchange[]; durationMs?: number }, known?: Known): Promise<Settled> {
    if (known?.order?.status === 'PENDING' && UNDECIDED.has(known.attempt.state) && answer.kind === 'success' && how.source !== 'callback') {
      // The common case, a delivery our own call learnt: settled with the others of this turn.
      if (await this.#deliveries.push({ attempt: known.attempt, order: known.order, answer, how: { ...how, source: how.source } })) return final;
      return this.#settle(key, answer, how, null);
    }
    if (known && UNDECIDED.has(known.attempt.state)) {
      // The caller holds the attempt as it read it (the fulfilment job, about its own call): apply
      // the answer to that copy without reading it again. The write is a compare-and-set on what
      // the copy says, so if anything moved the attempt meanwhile, it all rolls back and the
      // answer is applied to the attempt as it is now.
      try {
        return await this.#settle(key, answer, how, known);
      } catch (err) {
        if (!(err instanceof AttemptMoved)) throw err;
      }
    }
    return this.#settle(key, answer, how, null);
  }

  async #settle(key: { order_id: string; n: number }, answer: Answer, how: { source: AnswerSource; exchanges: Exchange[]; durationMs?: number }, known: Known | null): Promise<Settled> {
    if (how.source === 'callback') {
      // Most callbacks about a decided attempt repeat what it says (the purchase reply came
      // first, or the supplier retries): dropped on a plain read, without a write transaction.
      // A decided attempt only ever moves on a reversal, which is never a repeat, so the read
      // (the caller's, when it passes one) is safe. Our own calls' answers are always recorded:
      // they carry the exchanges.
      const seen = known?.attempt ?? (await this.d.db.kysely.selectFrom('order_attempts').select('state').where('order_id', '=', key.order_id).where('n', '=', key.n).executeTakeFirst());
      if (seen && !UNDECIDED.has(seen.state) && repeats(seen.state, answer)) return { kind: 'ignored', why: 'duplicate' };
    }
    let callbackQueued = false;
    const alerts: Alert[] = [];
    const result = await this.d.db.transaction((trx) => withEvents(trx, async (events) => {
      const now = this.d.clock();
      let read = trx.selectFrom('order_attempts').selectAll().where('order_id', '=', key.order_id).where('n', '=', key.n);
      if (this.d.db.rowLocks) read = read.forUpdate();
      const attempt = known?.attempt ?? (await read.executeTakeFirstOrThrow());
      const { event, columns: base } = answerRecord(attempt, answer, how, now);
      events.push(event);

      if (!UNDECIDED.has(attempt.state)) return this.#late(trx, events, attempt, answer, now, () => (callbackQueued = true));

      const finalise = async (f: Finalisation) => {
        const r = await this.d.transitions.finaliseIn(trx, attempt.order_id, f, how.source === 'callback' ? 'supplier callback' : 'supplier', known?.order, events);
        if (r?.callbackQueued) callbackQueued = true;
        if (!r) {
          // Settled meanwhile by hand (`kios order resolve`): fine if the operator saw it the same way.
          const order = await trx.selectFrom('orders').select('status').where('id', '=', attempt.order_id).executeTakeFirstOrThrow();
          if (order.status !== f.status) this.#conflict(events, attempt, answer, now, `the order is already ${order.status}`);
        }
      };
      const move = (state: AttemptState, extra: { supplier_ref?: string | null; reason?: string | null; scope?: string | null; finished_at?: number | null } = {}) =>
        setAttempt(trx, attempt, { ...base, state, ...extra });

      switch (answer.kind) {
        case 'success': {
          await move('success', { supplier_ref: answer.supplierRef ?? attempt.supplier_ref, finished_at: now });
          await finalise({ status: 'SUCCESS', supplierRef: answer.supplierRef ?? attempt.supplier_ref, sn: answer.sn ?? null, voucher: answer.voucher ?? null });
          return final;
        }
        case 'partial': {
          await move('partial', { supplier_ref: answer.supplierRef ?? attempt.supplier_ref, finished_at: now });
          const order = await trx.selectFrom('orders').select('amount').where('id', '=', attempt.order_id).executeTakeFirstOrThrow();
          const refund = partialRefund(order.amount, answer.delivered, answer.total);
          const supplierRef = answer.supplierRef ?? attempt.supplier_ref;
          if (refund === 0) await finalise({ status: 'SUCCESS', supplierRef, sn: answer.sn ?? null, voucher: null });
          else if (refund === order.amount) await finalise({ status: 'FAILED', reason: 'nothing delivered' });
          else await finalise({ status: 'PARTIAL_SUCCESS', supplierRef, sn: answer.sn ?? null, refund, reason: `Terkirim sebagian ${answer.delivered}/${answer.total}` });
          return final;
        }
        case 'failed':
        case 'reversed': {
          const reason = answer.reason.slice(0, 300);
          const scope = answer.kind === 'failed' ? (answer.scope ?? 'route') : 'route';
          await move('failed', { reason, scope, finished_at: now });
          if (scope === 'account') {
            // Nothing was bought, but kios's account at this supplier needs the operator; the
            // order fails over, or waits for the fix when no other route is left (Fulfilment).
            alerts.push({
              kind: 'supplier_account',
              supplier: attempt.supplier_id,
              order: attempt.order_id,
              message: `supplier ${attempt.supplier_id} refused kios's account (credentials, signature or IP whitelist): check its configuration. ${reason}`,
            });
          }
          if (scope === 'destination') {
            await finalise({ status: 'FAILED', reason });
            return final;
          }
          return failover;
        }
        case 'pending': {
          // Only an unambiguous "pending" proves the supplier holds the purchase.
          const state: AttemptState = answer.ambiguous === true ? attempt.state : 'sent';
          await move(state, { supplier_ref: answer.supplierRef ?? attempt.supplier_ref });
          if (answer.alert) alerts.push({ kind: 'supplier_flag', supplier: attempt.supplier_id, order: attempt.order_id, message: `order ${attempt.order_id} needs the operator: ${answer.alert}` });
          return { kind: 'waiting', checks: base.checks } as const;
        }
        case 'not_found': {
          // A supplier that once had the purchase no longer knows it: never conclude anything.
          this.d.log.warn({ supplier: attempt.supplier_id, ref: attempt.ref }, 'supplier does not know a purchase it accepted; keeping it pending');
          await move(attempt.state);
          return { kind: 'waiting', checks: base.checks } as const;
        }
      }
    }));
    if (callbackQueued) this.d.transitions.notify();
    for (const a of alerts) this.d.alerts.raise(a);
    return result;
  }

  /**
   * An answer about an attempt that is already decided (a duplicate or late callback). Only a
   * reversal of a delivered attempt moves anything (SUCCESS -> REFUNDED); any other
   * disagreement is recorded and logged for the operator, never applied.
   */
  async #late(trx: Transaction<Database>, events: EventInput[], attempt: OrderAttempt, answer: Answer, now: number, queued: () => void): Promise<Settled> {
    if (repeats(attempt.state, answer)) return { kind: 'ignored', why: 'duplicate' };

    if (answer.kind === 'reversed' && attempt.state === 'success') {
      await setAttempt(trx, attempt, { state: 'reversed', reason: answer.reason.slice(0, 300), finished_at: now });
      const r = await this.d.transitions.finaliseIn(trx, attempt.order_id, { status: 'REFUNDED', reason: answer.reason }, 'supplier reversal', undefined, events);
      if (!r) this.#conflict(events, attempt, answer, now, 'the supplier reversed a purchase of an order that is not SUCCESS');
      if (r?.callbackQueued) queued();
      return final;
    }
    this.#conflict(events, attempt, answer, now, `the attempt is already ${attempt.state}`);
    return { kind: 'ignored', why: 'conflict' };
  }

  #conflict(events: EventInput[], attempt: OrderAttempt, answer: Answer, now: number, why: string): void {
    const data = { attempt: attempt.n, supplier: attempt.supplier_id, ref: attempt.ref, state: attempt.state, answer: answer.kind, why };
    events.push({ orderId: attempt.order_id, type: 'supplier_conflict', at: now, data });
    this.d.log.error({ order: attempt.order_id, ...data }, 'a supplier answer contradicts what kios recorded: not applied, check this order with the supplier');
  }
}

/** Whether an answer says nothing new about an attempt in a decided state (a stale "pending" included). */
function repeats(state: AttemptState, answer: Answer): boolean {
  switch (answer.kind) {
    case 'pending':
    case 'not_found':
      return true;
    case 'success':
      return state === 'success';
    case 'partial':
      return state === 'partial';
    case 'failed':
    case 'reversed':
      return state === 'failed' || state === 'reversed';
  }
}

const final = { kind: 'final' } as const;
const failover = { kind: 'failover' } as const;

/** The attempt is no longer what the caller's copy says (`settle` then reads it afresh). */
class AttemptMoved extends Error {}

/**
 * Compare-and-set on what `attempt` says (state, checks, first answer): a miss means it moved
 * since it was read, which only a caller's copy read outside this transaction can see.
 */
async function setAttempt(trx: Transaction<Database>, attempt: OrderAttempt, values: Partial<Omit<OrderAttempt, 'order_id' | 'n'>>): Promise<void> {
  const args: Record<string, unknown> = {};
  for (const [column, v] of Object.entries(values)) if (v !== undefined) args[column] = v;
  Object.assign(args, { was_order_id: attempt.order_id, was_n: attempt.n, was_state: attempt.state, was_checks: attempt.checks });
  if (attempt.answered_at !== null) args.was_answered_at = attempt.answered_at;
  if ((await moveAttempt.changes(trx, args)) === 0) throw new AttemptMoved(`attempt ${attempt.ref} moved since it was read`);
}

/**
 * An attempt's compare-and-set on the state it was read in: the `was_` arguments are that state,
 * the others the columns set (one prepared statement per set of columns).
 */
const moveAttempt = prepared((q, a: Record<string, unknown>) => {
  const set = Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith('was_'))) as Updateable<OrderAttemptTable>;
  const update = q
    .updateTable('order_attempts')
    .set(set)
    .where('order_id', '=', a.was_order_id as string)
    .where('n', '=', a.was_n as number)
    .where('state', '=', a.was_state as AttemptState)
    .where('checks', '=', a.was_checks as number);
  return 'was_answered_at' in a ? update.where('answered_at', '=', a.was_answered_at as number) : update.where('answered_at', 'is', null);
});

const attemptsOf = prepared((q, a: { orderId: string }) => q.selectFrom('order_attempts').selectAll().where('order_id', '=', a.orderId).orderBy('n'));
