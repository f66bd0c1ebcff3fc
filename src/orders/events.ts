import type { Exchange } from '../connectors/types.js';
import type { Queryable } from '../db/index.js';
import { prepared, preparedRows } from '../db/prepared.js';

const MAX_EVENT_CHARS = 16_000;

/**
 * An order's audit trail (creation, supplier exchanges, status changes), written beside the
 * change. The data is always valid JSON: an oversized one is kept as a truncated string.
 */
export async function recordEvent(trx: Queryable, orderId: string, type: string, at: number, data?: unknown): Promise<void> {
  await insertEvent.changes(trx, { order_id: orderId, at, type, data: eventData(data) });
}

export interface EventInput {
  orderId: string;
  type: string;
  at: number;
  data?: unknown;
}

/** `recordEvent` for several events in one statement. */
export async function recordEvents(trx: Queryable, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  if (events.length === 1) return recordEvent(trx, events[0]!.orderId, events[0]!.type, events[0]!.at, events[0]!.data);
  if (events.length === 2) {
    // A supplier's answer and the status it causes: every settled order writes this pair.
    const [a, b] = events as [EventInput, EventInput];
    await insertEventPair.changes(trx, { order_id: a.orderId, at: a.at, type: a.type, data: eventData(a.data), order_id2: b.orderId, at2: b.at, type2: b.type, data2: eventData(b.data) });
    return;
  }
  await insertEvents.changes(
    trx,
    events.map((e) => ({ order_id: e.orderId, at: e.at, type: e.type, data: eventData(e.data) })),
  );
}

/**
 * Runs `fn` (the body of a transaction) with a list its events go to, written in one statement
 * when it returns: a supplier answer and the status change it causes are one insert, not two.
 * If `fn` throws, nothing is written (and the transaction rolls back anyway).
 */
export async function withEvents<T>(trx: Queryable, fn: (events: EventInput[]) => Promise<T>): Promise<T> {
  const events: EventInput[] = [];
  const result = await fn(events);
  await recordEvents(trx, events);
  return result;
}

/** An exchange with a supplier as stored with an event: bodies cut short, so one event stays readable. */
export function shortExchange(e: Exchange): Exchange {
  return {
    ...e,
    ...(e.request !== undefined ? { request: e.request.slice(0, 1000) } : {}),
    ...(e.response !== undefined ? { response: e.response.slice(0, 1000) } : {}),
  };
}

function eventData(data: unknown): string | null {
  const text = data === undefined ? null : JSON.stringify(data);
  return text !== null && text.length > MAX_EVENT_CHARS ? JSON.stringify({ truncated: text.slice(0, MAX_EVENT_CHARS - 100) }) : text;
}

const insertEvent = prepared((q, e: { order_id: string; at: number; type: string; data: string | null }) => q.insertInto('order_events').values(e));
const insertEvents = preparedRows<{ order_id: string; at: number; type: string; data: string | null }>({ order_id: true, at: true, type: true, data: true }, (q, rows) =>
  q.insertInto('order_events').values(rows),
);
const insertEventPair = prepared(
  (q, e: { order_id: string; at: number; type: string; data: string | null; order_id2: string; at2: number; type2: string; data2: string | null }) =>
    q.insertInto('order_events').values([
      { order_id: e.order_id, at: e.at, type: e.type, data: e.data },
      { order_id: e.order_id2, at: e.at2, type: e.type2, data: e.data2 },
    ]),
);
