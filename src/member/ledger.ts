import type { Db } from '../db/index.js';
import type { LedgerKind } from '../db/schema.js';
import { OperatorError } from '../resellers/service.js';
import { checkRange, decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { csvPages, localIso } from './csv.js';

export const LEDGER_KINDS: readonly LedgerKind[] = ['deposit', 'order_debit', 'refund', 'partial_refund', 'adjustment', 'redeem_fee'];

export interface LedgerFilter {
  kind?: LedgerKind;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  cursor?: string;
  limit?: number;
}

export interface MutasiEntry {
  id: string;
  kind: LedgerKind;
  amount: number;
  balanceAfter: number;
  reference: string | null;
  /** The order's invoice number, for order debits and refunds. */
  invoice: string | null;
  note: string | null;
  createdAt: number;
}

/**
 * Mutasi: one reseller's ledger, newest first, keyset-paged on (created_at, seq). Migration 0008's
 * index (reseller_id, created_at, seq) serves the reseller, the date range and the order at once,
 * so a page costs the same a year back as today; a kind filter passes over the other kinds' rows
 * in that index (most rows are order debits, and the other kinds are what a reseller looks for
 * among them). Entries of one reseller are written under its balance row's lock, so time order
 * is balance order except across processes whose clocks disagree; seq breaks ties.
 */
export async function listLedger(db: Db, resellerId: string, f: LedgerFilter): Promise<{ items: MutasiEntry[]; nextCursor: string | null }> {
  if (f.kind !== undefined && !LEDGER_KINDS.includes(f.kind)) throw new OperatorError(`unknown ledger kind ${f.kind}`);
  checkRange(f);
  const after = decodeCursor(f.cursor);
  const afterSeq = after === null ? null : Number(after.id);
  if (after && !Number.isSafeInteger(afterSeq)) throw new OperatorError('not a cursor this list gave out');
  const limit = pageSize(f.limit, 1000);
  let q = db.kysely
    .selectFrom('ledger_entries as le')
    .leftJoin('orders as o', 'o.id', 'le.order_id')
    .select(['le.seq', 'le.id', 'le.kind', 'le.amount', 'le.balance_after', 'le.reference', 'le.note', 'le.created_at', 'o.invoice_number'])
    .where('le.reseller_id', '=', resellerId)
    .orderBy('le.created_at', 'desc')
    .orderBy('le.seq', 'desc')
    .limit(limit + 1);
  if (f.kind) q = q.where('le.kind', '=', f.kind);
  if (f.from !== undefined) q = q.where('le.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('le.created_at', '<', f.to);
  if (after) q = q.where((eb) => eb(eb.refTuple('le.created_at', 'le.seq'), '<', eb.tuple(after.at, afterSeq!)));
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      amount: Number(r.amount),
      balanceAfter: Number(r.balance_after),
      reference: r.reference,
      invoice: r.invoice_number,
      note: r.note,
      createdAt: Number(r.created_at),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: Number(last.created_at), id: String(last.seq) }) : null,
  };
}

/** Every page of a filtered ledger, one page in memory at a time. */
async function* ledgerPages(db: Db, resellerId: string, f: Omit<LedgerFilter, 'cursor' | 'limit'>): AsyncGenerator<MutasiEntry[]> {
  let cursor: string | undefined;
  do {
    const page = await listLedger(db, resellerId, { ...f, cursor, limit: 1000 });
    yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export const LEDGER_CSV_HEADER = ['time', 'kind', 'amount', 'balance_after', 'reference', 'invoice', 'note'];

/** The filtered Mutasi as CSV, streamed. Validates the filter before the first byte. */
export async function ledgerCsv(db: Db, resellerId: string, f: Omit<LedgerFilter, 'cursor' | 'limit'>, timeZone: string): Promise<AsyncGenerator<string>> {
  await listLedger(db, resellerId, { ...f, limit: 1 });
  return csvPages(LEDGER_CSV_HEADER, ledgerPages(db, resellerId, f), (e) => [localIso(e.createdAt, timeZone), e.kind, e.amount, e.balanceAfter, e.reference, e.invoice, e.note]);
}
