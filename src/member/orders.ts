import type { Db } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { isOrderStatus } from '../domain/order-status.js';
import { OperatorError } from '../resellers/service.js';
import { checkRange, decodeCursor, encodeCursor, pageSize, type Position } from './cursor.js';

export interface OrderFilter {
  /** An invoice number, a trx_id or a destination (user id), matched exactly. */
  q?: string;
  status?: string;
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
}

export interface MemberOrder {
  invoice: string;
  trxId: string | null;
  channel: string;
  productCode: string;
  productName: string;
  category: string;
  userId: string;
  serverId: string | null;
  nickname: string | null;
  price: number;
  amount: number;
  status: string;
  responseNote: string;
  sn: string | null;
  voucher: string | null;
  refundedAmount: number;
  createdAt: number;
  completedAt: number | null;
}

export interface OrderHistoryEntry {
  at: number;
  /** `created`, or `status` for a change of status. */
  type: string;
  from: string | null;
  to: string | null;
  reason: string | null;
}

/**
 * One reseller's orders, newest first, keyset-paged on (created_at, id). A search is the union of
 * three exact matches, each read off its own index with the page's keyset bound: the invoice
 * number (unique), the trx_id (unique per reseller) and the destination (0009). The three are
 * merged in list order, so paging through a search is as exact as paging through the list.
 * Status and dates filter every branch; unsearched, the list reads the (reseller, created_at, id)
 * index and passes over other statuses.
 */
export async function listOrders(db: Db, resellerId: string, f: OrderFilter): Promise<{ items: MemberOrder[]; nextCursor: string | null }> {
  if (f.status !== undefined && !isOrderStatus(f.status)) throw new OperatorError(`unknown status ${f.status}`);
  checkRange(f);
  const after = decodeCursor(f.cursor);
  const limit = pageSize(f.limit);
  const q = f.q?.trim();
  const page = (match?: 'invoice_number' | 'trx_id' | 'user_id') => {
    let s = db.kysely.selectFrom('orders').selectAll().where('reseller_id', '=', resellerId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (match) s = s.where(match, '=', q!);
    if (f.status) s = s.where('status', '=', f.status);
    if (f.from !== undefined) s = s.where('created_at', '>=', f.from);
    if (f.to !== undefined) s = s.where('created_at', '<', f.to);
    if (after) s = s.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)));
    return s.execute();
  };
  let rows: Order[];
  if (!q) rows = await page();
  else {
    const found = new Map<string, Order>();
    for (const part of await Promise.all([page('invoice_number'), page('trx_id'), page('user_id')])) for (const o of part) found.set(o.id, o);
    rows = [...found.values()].sort(newestFirst).slice(0, limit + 1);
  }
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(memberOrder), nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}

/** One order of this reseller with its status history; another reseller's invoice is not found. */
export async function getOrder(db: Db, resellerId: string, invoice: string): Promise<{ order: MemberOrder; history: OrderHistoryEntry[] }> {
  const o = await db.kysely.selectFrom('orders').selectAll().where('invoice_number', '=', invoice).where('reseller_id', '=', resellerId).executeTakeFirst();
  if (!o) throw new OperatorError(`no order with invoice number ${invoice}`, 'not_found');
  // Supplier exchanges are the operator's business: the reseller sees creation and status changes.
  const events = await db.kysely.selectFrom('order_events').select(['at', 'type', 'data']).where('order_id', '=', o.id).where('type', 'in', ['created', 'status']).orderBy('seq').execute();
  return {
    order: memberOrder(o),
    history: events.map((e) => {
      const d = parse(e.data);
      return { at: Number(e.at), type: e.type, from: str(d.from), to: str(d.to), reason: str(d.reason) };
    }),
  };
}

function parse(data: string | null): Record<string, unknown> {
  try {
    const v: unknown = data === null ? null : JSON.parse(data);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function position(o: Order): Position {
  return { at: Number(o.created_at), id: o.id };
}

function newestFirst(a: Order, b: Order): number {
  return Number(b.created_at) - Number(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function memberOrder(o: Order): MemberOrder {
  return {
    invoice: o.invoice_number,
    trxId: o.trx_id,
    channel: o.channel,
    productCode: o.product_code,
    productName: o.product_name,
    category: o.category_title,
    userId: o.user_id,
    serverId: o.server_id,
    nickname: o.nickname,
    price: Number(o.price),
    amount: Number(o.amount),
    status: o.status,
    responseNote: o.response_note,
    sn: o.sn,
    voucher: o.voucher,
    refundedAmount: Number(o.refunded_amount),
    createdAt: Number(o.created_at),
    completedAt: o.completed_at === null ? null : Number(o.completed_at),
  };
}
