import { nextDay, zonedDayStart } from '../../src/lib/format';
import { sessionTimeZone } from '../../src/lib/session';

/** `from`/`to` days of a filter form (the operator's zone) as the API's [from, to) instants. */
export function dayRange(values: Record<string, string>): { from?: number; to?: number } {
  const tz = sessionTimeZone();
  const from = values.from ? zonedDayStart(values.from, tz) : undefined;
  const to = values.to ? zonedDayStart(nextDay(values.to), tz) : undefined;
  return { from: Number.isNaN(from) ? undefined : from, to: Number.isNaN(to) ? undefined : to };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface MemberOrder {
  invoice: string;
  trxId: string | null;
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

export const ORDER_STATUSES = ['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'];
