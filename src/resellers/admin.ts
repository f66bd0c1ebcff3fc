import { sql } from 'kysely';
import type { Db, Queryable } from '../db/index.js';
import type { LedgerEntry } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { maskSecret } from '../security/api-key.js';
import { OperatorError, type ResellerService, type ResellerSummary, type Within } from './service.js';

export interface ResellerListItem {
  id: string;
  name: string;
  email: string;
  roleCode: string;
  balance: number;
  disabledAt: number | null;
  createdAt: number;
}

export interface ResellerDetail extends ResellerSummary {
  /** `kios_abcd…wxyz`: recognisable, never usable. */
  apiKeyMasked: string;
  /** The newest ledger entries, newest first. */
  recentLedger: LedgerEntry[];
}

const RECENT_LEDGER = 20;

/**
 * The operator's view of resellers beyond what `ResellerService` does for the CLI and the API:
 * a searchable, paged list, one reseller in full, its price tier, and disabling it. A disabled
 * reseller keeps its balance and history; its API key, Otomax and redeem calls are answered as
 * an unknown key's (see `ResellerService.authenticate`) and its dashboard sessions end, until an
 * operator enables it again. Orders it placed before are still followed to the end.
 */
export class ResellerAdmin {
  constructor(
    private readonly d: {
      db: Db;
      resellers: ResellerService;
      clock: Clock;
      /** Ends the reseller's dashboard sessions, inside the disabling transaction. */
      onDisabled?: (trx: Queryable, resellerId: string) => Promise<void>;
    },
  ) {}

  /**
   * Newest first, keyset-paged on (created_at, id) along `resellers_created_id_idx`. `q` matches
   * part of the name or email (case-insensitive) or the exact id; the filter is applied while
   * walking the index, which is fine at the scale of a reseller list (thousands, not millions).
   */
  async list(f: { q?: string; cursor?: string; limit?: number } = {}): Promise<{ items: ResellerListItem[]; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : null;
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    let q = this.d.db.kysely
      .selectFrom('resellers')
      .select(['id', 'name', 'email', 'role_code', 'balance', 'disabled_at', 'created_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    const term = f.q?.trim().toLowerCase();
    if (term) {
      const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      // ESCAPE spelled out: SQLite has no default escape character.
      q = q.where((eb) => eb.or([eb('id', '=', f.q!.trim()), sql<boolean>`lower(name) like ${like} escape '\\'`, sql<boolean>`email like ${like} escape '\\'`]));
    }
    if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ id: r.id, name: r.name, email: r.email, roleCode: r.role_code, balance: r.balance, disabledAt: r.disabled_at, createdAt: r.created_at })),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async detail(idOrEmail: string): Promise<ResellerDetail> {
    const r = await this.d.resellers.get(idOrEmail);
    const [key, recentLedger] = await Promise.all([
      this.d.resellers.apiKeyOf(r.id),
      this.d.db.kysely.selectFrom('ledger_entries').selectAll().where('reseller_id', '=', r.id).orderBy('seq', 'desc').limit(RECENT_LEDGER).execute(),
    ]);
    return { ...r, apiKeyMasked: maskSecret(key), recentLedger };
  }

  /** Moves the reseller to another price tier: its next order is priced at that tier. */
  async setTier(idOrEmail: string, tier: string, within?: Within<{ tier: string }>): Promise<ResellerSummary> {
    const id = (await this.d.resellers.get(idOrEmail)).id;
    await this.d.db.transaction(async (trx) => {
      const role = await trx.selectFrom('roles').select('code').where('code', '=', tier).executeTakeFirst();
      if (!role) {
        const known = await trx.selectFrom('roles').select('code').orderBy('sort_order').execute();
        throw new OperatorError(`unknown tier "${tier}" (known: ${known.map((x) => x.code).join(', ')})`);
      }
      const before = await this.#row(trx, id);
      await trx.updateTable('resellers').set({ role_code: tier, updated_at: this.d.clock() }).where('id', '=', id).execute();
      await within?.(trx, { tier: before.role_code }, { tier });
    });
    return this.d.resellers.get(id);
  }

  /**
   * Disables (or enables) the reseller. Disabling twice is refused as a conflict, so the audit
   * trail never shows a change that changed nothing; the dashboard sessions end in the same
   * transaction.
   */
  async setDisabled(idOrEmail: string, disabled: boolean, within?: Within<{ disabledAt: number | null }>): Promise<ResellerSummary> {
    const id = (await this.d.resellers.get(idOrEmail)).id;
    await this.d.db.transaction(async (trx) => {
      const before = await this.#row(trx, id);
      if ((before.disabled_at !== null) === disabled) throw new OperatorError(`reseller ${id} is already ${disabled ? 'disabled' : 'enabled'}`, 'conflict');
      const now = this.d.clock();
      const disabledAt = disabled ? now : null;
      await trx.updateTable('resellers').set({ disabled_at: disabledAt, updated_at: now }).where('id', '=', id).execute();
      if (disabled) await this.d.onDisabled?.(trx, id);
      await within?.(trx, { disabledAt: before.disabled_at }, { disabledAt });
    });
    return this.d.resellers.get(id);
  }

  /** The row, locked until commit where the database has row locks (SQLite's writer is exclusive already). */
  async #row(trx: Queryable, id: string) {
    let q = trx.selectFrom('resellers').select(['role_code', 'disabled_at']).where('id', '=', id);
    if (this.d.db.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new OperatorError(`no reseller with id "${id}"`, 'not_found');
    return row;
  }
}

/** Where a page ended, opaque so callers never build one: `<created_at>.<id>` in base64url. */
function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const m = /^(\d{1,16})\.(\S{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const createdAt = Number(m?.[1]);
  // Only a cursor that encodes back to itself is one kios gave out.
  if (!m || !Number.isSafeInteger(createdAt) || encodeCursor(createdAt, m[2]!) !== cursor) throw new OperatorError('not a cursor from a reseller list');
  return { createdAt, id: m[2]! };
}
