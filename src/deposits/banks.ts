import { z } from 'zod';
import type { Db } from '../db/index.js';
import { OperatorError } from '../resellers/service.js';

/**
 * The operator's bank accounts that resellers transfer deposits to, kept as one JSON list in the
 * `meta` table (a handful of rows that change a few times a year need no table of their own). The
 * first account is the default a ticket uses when the reseller names none. A ticket copies its
 * account when it is issued, so editing this list never changes an open ticket.
 */
export interface BankAccount {
  /** Short name the operator and resellers pick it by: `bca`, `mandiri-2`. */
  code: string;
  /** The bank as resellers know it: `BCA`, `Mandiri`. */
  bank: string;
  number: string;
  holder: string;
}

const META_KEY = 'deposit_bank_accounts';

const accountSchema = z.object({
  code: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{0,19}$/, 'code is 1 to 20 letters, digits, - or _'),
  bank: z.string().trim().min(1, 'bank name is required').max(50, 'bank name is at most 50 characters'),
  number: z
    .string()
    .transform((s) => s.replace(/[\s.-]/g, ''))
    .pipe(z.string().regex(/^[0-9]{5,30}$/, 'account number is 5 to 30 digits')),
  holder: z.string().trim().min(1, 'account holder is required').max(100, 'account holder is at most 100 characters'),
});

export class BankAccounts {
  constructor(private readonly db: Db) {}

  async list(): Promise<BankAccount[]> {
    const row = await this.db.kysely.selectFrom('meta').select('value').where('key', '=', META_KEY).executeTakeFirst();
    return row ? parse(row.value) : [];
  }

  /** The account called `code`, or the default (the first) when `code` is undefined. */
  async pick(code: string | undefined): Promise<BankAccount> {
    const accounts = await this.list();
    if (accounts.length === 0) {
      throw new OperatorError('no bank account receives deposits yet: the operator adds one with `kios deposit bank add <code> <bank> <number> <holder>`', 'conflict');
    }
    if (code === undefined) return accounts[0]!;
    const found = accounts.find((a) => a.code === code.trim().toLowerCase());
    if (!found) throw new OperatorError(`unknown bank account "${code}" (known: ${accounts.map((a) => a.code).join(', ')})`);
    return found;
  }

  async add(input: BankAccount): Promise<BankAccount[]> {
    const parsed = accountSchema.safeParse(input);
    if (!parsed.success) throw new OperatorError(parsed.error.issues.map((i) => i.message).join('; '));
    const a = parsed.data;
    return this.update((list) => {
      if (list.some((x) => x.code === a.code)) throw new OperatorError(`a bank account with code "${a.code}" already exists; remove it first to change it`, 'conflict');
      return [...list, a];
    });
  }

  async remove(code: string): Promise<BankAccount[]> {
    const c = code.trim().toLowerCase();
    return this.update((list) => {
      if (!list.some((x) => x.code === c)) throw new OperatorError(`no bank account with code "${code}"`, 'not_found');
      return list.filter((x) => x.code !== c);
    });
  }

  /** Read-modify-write of the list, serialised: PostgreSQL locks the row, SQLite's write transaction is exclusive. */
  private async update(change: (list: BankAccount[]) => BankAccount[]): Promise<BankAccount[]> {
    return this.db.transaction(async (trx) => {
      await trx.insertInto('meta').values({ key: META_KEY, value: '[]' }).onConflict((oc) => oc.column('key').doNothing()).execute();
      let q = trx.selectFrom('meta').select('value').where('key', '=', META_KEY);
      if (this.db.rowLocks) q = q.forUpdate();
      const next = change(parse((await q.executeTakeFirstOrThrow()).value));
      await trx.updateTable('meta').set({ value: JSON.stringify(next) }).where('key', '=', META_KEY).execute();
      return next;
    });
  }
}

function parse(json: string): BankAccount[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return [];
  }
  const v = z.array(accountSchema).safeParse(raw);
  return v.success ? v.data : [];
}
