import { t } from '../../src/lib/i18n';

/** Shapes of the operations API (src/http/dashboard/admin/*.ts) as the pages read them. */
export interface DayFigures {
  date: string;
  start: number;
  orders: number;
  byStatus: Record<string, number>;
  successful: number;
  revenue: number;
  cost: number;
  margin: number;
  costUnknown: number;
}

export interface Overview {
  statuses: string[];
  today: DayFigures;
  days: DayFigures[];
  pending: { count: number; oldestAgeMs: number | null };
  suppliers: { id: string; name: string; balance: number | null; error: string | null; checkedAt: number | null }[];
  failingCallbacks: number;
  ledger: { ok: boolean; violations: number; at: number } | null;
}

export interface AdminOrder {
  invoiceNumber: string;
  resellerId: string;
  resellerName: string;
  trxId: string | null;
  productCode: string;
  productName: string;
  userId: string;
  serverId: string | null;
  amount: number;
  refundedAmount: number;
  status: string;
  responseNote: string;
  createdAt: number;
  completedAt: number | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An age as minutes or hours. */
export function ago(ms: number): string {
  const min = Math.floor(ms / 60_000);
  return min < 120 ? t('ops.minutes', { n: min }) : t('ops.hours', { n: Math.floor(min / 60) });
}

export function destination(o: { userId: string; serverId: string | null }): string {
  return o.serverId ? `${o.userId} (${o.serverId})` : o.userId;
}

/** Midnight of `YYYY-MM-DD` in the session's time zone, epoch ms (a date filter means the operator's day). */
export function zoneMidnight(date: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const offset = (ms: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(ms).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - (ms - (ms % 60_000));
  };
  const guess = wall - offset(wall);
  return wall - offset(guess);
}
