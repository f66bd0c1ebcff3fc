import { z } from 'zod';
import type { InferResult } from 'kysely';
import type { Db, Queryable } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { Reseller } from '../db/schema.js';
import { KiosError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertRupiah, MAX_RUPIAH } from '../domain/money.js';
import { DuplicateReferenceError, postOperatorMovement } from '../ledger/ledger.js';
import { apiKeyDigest, digestsEqual, generateApiKey } from '../security/api-key.js';
import { ipAllowed, normaliseWhitelistEntry } from '../security/ip-whitelist.js';
import type { SecretBox } from '../security/secret-box.js';
import type { CallbackUrlPolicy } from '../callbacks/url-policy.js';
import type { Clock } from '../domain/clock.js';
import { batchedRead } from '../db/batched-read.js';
import { prepared } from '../db/prepared.js';
import { generateMerchantId } from '../redeem/ids.js';

/** What a request knows about its caller once the API key and IP whitelist have been checked. */
export interface AuthenticatedReseller {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  roleCode: string;
  roleName: string;
  balance: number;
  webhookUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A reseller as an API request authenticated it, with what that same read learnt. */
export interface ApiCaller extends AuthenticatedReseller {
  /** The catalog's version when the key was read (see src/catalog/product-lists.ts). */
  catalogVersion: number;
}

export interface ResellerSummary extends AuthenticatedReseller {
  ipWhitelist: string[];
  /** The merchant id of the voucher-redeem API (APIGames shape). */
  merchantId: string | null;
  /** When an operator disabled it; null while it may trade. */
  disabledAt: number | null;
}

/**
 * A refusal the operator (CLI) or a dashboard user can act on: its message is shown as is. `kind`
 * tells the dashboard API which HTTP answer it is (400, 404 or 409); the CLI prints the message.
 */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'not_found' | 'conflict' = 'invalid',
  ) {
    super(message);
  }
}

/**
 * IP_NOT_WHITELISTED, knowing whose key it was: the Otomax channel's error line shows that
 * reseller's balance. Never rendered into a JSON response.
 */
export class IpNotWhitelistedError extends KiosError {
  constructor(readonly caller: AuthenticatedReseller) {
    super('IP_NOT_WHITELISTED');
  }
}

const createSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
  email: z.string().trim().toLowerCase().pipe(z.email('email is not a valid address')).pipe(z.string().max(200)),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9]{5,20}$/, 'phone must be 5 to 20 digits, optionally starting with +')
    .nullish(),
  role: z.string().trim().min(1).max(32).default('member'),
  balance: z.number().int().min(0).max(MAX_RUPIAH).default(0),
});
export type CreateResellerInput = z.input<typeof createSchema>;

/**
 * Runs inside the transaction of an operator's change with the value before and after it, so a
 * record of the change (the dashboard's audit row) commits with it or not at all.
 */
export type Within<T> = (trx: Queryable, before: T, after: T) => Promise<void>;

interface MovementOptions {
  note?: string;
  /** E.g. the bank transfer id: the same reference is never posted twice for one reseller. */
  reference?: string;
  within?: Within<{ balance: number; entryId?: string }>;
}

function parseWhitelist(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export class ResellerService {
  /** The stored (encrypted) keys of many resellers at once: every callback delivery signs with one. */
  readonly #apiKeyEnc: (id: string) => Promise<string | null>;
  /** Every API request's caller, by key digest: one statement for all the requests of a turn. */
  readonly #byDigest: (digest: string) => Promise<KeyRow | undefined>;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly callbackPolicy: CallbackUrlPolicy,
    private readonly clock: Clock,
  ) {
    this.#apiKeyEnc = batchedRead(async (ids: string[]) => {
      const rows = await db.kysely.selectFrom('resellers').select(['id', 'api_key_enc']).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.id, r.api_key_enc]));
    }, null);
    this.#byDigest = batchedRead(async (digests: string[]) => {
      const rows = digests.length === 1 ? await resellerByKey.all(db.kysely, { digest: digests[0]! }) : await resellersByKeys(db.kysely, digests).execute();
      return new Map(rows.map((r) => [r.api_key_digest, r]));
    }, undefined);
  }

  /** Creates a reseller and returns its API key: the only time the key is shown. */
  async create(input: CreateResellerInput): Promise<{ reseller: ResellerSummary; apiKey: string }> {
    const parsed = createSchema.safeParse(input);
    if (!parsed.success) throw new OperatorError(parsed.error.issues.map((i) => i.message).join('; '));
    const v = parsed.data;
    const apiKey = generateApiKey();
    const now = this.clock();
    const id = newId('rs');
    try {
      await this.db.transaction(async (trx) => {
        const role = await trx.selectFrom('roles').select('code').where('code', '=', v.role).executeTakeFirst();
        if (!role) {
          const roles = await trx.selectFrom('roles').select('code').orderBy('sort_order').execute();
          throw new OperatorError(`unknown role "${v.role}" (known: ${roles.map((r) => r.code).join(', ') || 'none'})`);
        }
        await trx
          .insertInto('resellers')
          .values({
            id,
            name: v.name,
            email: v.email,
            phone: v.phone ?? null,
            role_code: v.role,
            api_key_digest: apiKeyDigest(apiKey),
            api_key_enc: this.secrets.encrypt(apiKey),
            balance: 0,
            ip_whitelist: '[]',
            webhook_url: null,
            created_at: now,
            updated_at: now,
            merchant_id: generateMerchantId(now),
          })
          .execute();
        if (v.balance > 0) {
          // No reference: the opening balance is posted once, with the reseller, and must not take a
          // reference the operator may later use for a real transfer.
          await postOperatorMovement(trx, { resellerId: id, kind: 'deposit', amount: v.balance, reference: null, note: 'opening balance', at: now });
        }
      });
    } catch (err) {
      if (isUniqueViolation(err, 'email')) throw new OperatorError(`a reseller with email ${v.email} already exists`, 'conflict');
      throw err;
    }
    return { reseller: await this.get(id), apiKey };
  }

  /**
   * Resolves the caller of a request: API key first (404 API_KEY_NOT_FOUND), then the IP
   * whitelist (403 IP_NOT_WHITELISTED). One indexed read, shared by the requests of one turn.
   *
   * A disabled reseller's key is answered as an unknown one. The published error table (RULINGS
   * section 1) has no code for a suspended account, and API_KEY_NOT_FOUND is the code every
   * Kiosgame-style client already handles as "nothing was bought, stop" (RULINGS section 4);
   * a kios-only code would be a new failure those clients treat as pending. Saying no more also
   * tells a caller nothing about which keys exist.
   */
  async authenticate(apiKey: string | undefined, clientIp: string): Promise<ApiCaller> {
    const key = apiKey?.trim();
    if (!key || key.length > 256) throw new KiosError('API_KEY_NOT_FOUND');
    const digest = apiKeyDigest(key);
    const row = await this.#byDigest(digest);
    if (!row || !digestsEqual(row.api_key_digest, digest)) throw new KiosError('API_KEY_NOT_FOUND');
    const caller = toAuthenticated(row, row.role_name);
    if (!ipAllowed(clientIp, parseWhitelist(row.ip_whitelist))) throw new IpNotWhitelistedError(caller);
    return { ...caller, catalogVersion: Number(row.catalog_version) };
  }

  async get(idOrEmail: string): Promise<ResellerSummary> {
    const key = idOrEmail.trim();
    const row = await this.db.kysely
      .selectFrom('resellers as r')
      .innerJoin('roles', 'roles.code', 'r.role_code')
      .selectAll('r')
      .select('roles.name as role_name')
      .where((eb) => eb.or([eb('r.id', '=', key), eb('r.email', '=', key.toLowerCase())]))
      .executeTakeFirst();
    if (!row) throw new OperatorError(`no reseller with id or email "${key}"`, 'not_found');
    return toSummary(row, row.role_name);
  }

  async list(): Promise<ResellerSummary[]> {
    const rows = await this.db.kysely
      .selectFrom('resellers as r')
      .innerJoin('roles', 'roles.code', 'r.role_code')
      .selectAll('r')
      .select('roles.name as role_name')
      .orderBy('r.created_at')
      .execute();
    return rows.map((row) => toSummary(row, row.role_name));
  }

  /**
   * Credits a reseller. With a `reference` (e.g. the bank transfer id) the same deposit posted
   * twice is refused instead of credited twice.
   */
  async deposit(idOrEmail: string, amount: number, opts: MovementOptions = {}): Promise<{ balance: number; entryId: string }> {
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_RUPIAH) throw new OperatorError('amount must be a whole number of rupiah greater than 0');
    return this.#operatorMovement(idOrEmail, 'deposit', assertRupiah(amount), opts);
  }

  /**
   * Corrects a balance by hand: a credit (amount > 0) or a debit (amount < 0), with the reason
   * kept as the entry's note. A debit the balance does not cover is refused whole (the ledger's
   * conditional debit), never clipped, so a balance cannot go below zero this way either.
   */
  async adjust(idOrEmail: string, amount: number, reason: string, opts: Omit<MovementOptions, 'note'> = {}): Promise<{ balance: number; entryId: string }> {
    if (!Number.isSafeInteger(amount) || amount === 0 || Math.abs(amount) > MAX_RUPIAH) throw new OperatorError('amount must be a whole number of rupiah, not 0 (negative debits)');
    if (reason.trim() === '') throw new OperatorError('an adjustment needs a reason');
    return this.#operatorMovement(idOrEmail, 'adjustment', amount, { ...opts, note: reason.trim() });
  }

  async #operatorMovement(idOrEmail: string, kind: 'deposit' | 'adjustment', amount: number, opts: MovementOptions): Promise<{ balance: number; entryId: string }> {
    const reseller = await this.get(idOrEmail);
    try {
      const posted = await this.db.transaction(async (trx) => {
        const p = await postOperatorMovement(trx, { resellerId: reseller.id, kind, amount, reference: opts.reference ?? null, note: opts.note ?? null, at: this.clock() });
        if (p) await opts.within?.(trx, { balance: p.balanceAfter - amount }, { balance: p.balanceAfter, entryId: p.entryId });
        return p;
      });
      if (!posted) {
        const now = await this.get(reseller.id);
        throw new OperatorError(`the balance (${now.balance}) does not cover a debit of ${-amount}; nothing was changed`, 'conflict');
      }
      return { balance: posted.balanceAfter, entryId: posted.entryId };
    } catch (err) {
      if (err instanceof DuplicateReferenceError) throw new OperatorError(`${kind} reference "${err.reference}" was already posted for this reseller`, 'conflict');
      throw err;
    }
  }

  async whitelist(idOrEmail: string, action: 'add' | 'remove', entry: string, within?: Within<string[]>): Promise<string[]> {
    const normalised = normaliseWhitelistEntry(entry);
    if (!normalised) throw new OperatorError(`"${entry}" is not an IP address or CIDR range`);
    const reseller = await this.get(idOrEmail);
    return this.db.transaction(async (trx) => {
      const row = await trx.selectFrom('resellers').select('ip_whitelist').where('id', '=', reseller.id).executeTakeFirstOrThrow();
      const list = parseWhitelist(row.ip_whitelist);
      const next = action === 'add' ? (list.includes(normalised) ? list : [...list, normalised]) : list.filter((e) => e !== normalised);
      if (action === 'remove' && next.length === list.length) throw new OperatorError(`${normalised} is not on the whitelist`);
      await trx.updateTable('resellers').set({ ip_whitelist: JSON.stringify(next), updated_at: this.clock() }).where('id', '=', reseller.id).execute();
      await within?.(trx, list, next);
      return next;
    });
  }

  /** Sets (or with null, clears) the default callback URL; refused if it targets a private network. */
  async setWebhook(idOrEmail: string, url: string | null, within?: Within<string | null>): Promise<string | null> {
    const reseller = await this.get(idOrEmail);
    let value: string | null = null;
    if (url !== null && url.trim() !== '') {
      try {
        value = (await this.callbackPolicy.validate(url.trim())).href;
      } catch (err) {
        if (err instanceof KiosError) throw new OperatorError(`webhook URL refused: ${err.details ?? err.code}`);
        throw err;
      }
    }
    await this.db.transaction(async (trx) => {
      const before = await trx.selectFrom('resellers').select('webhook_url').where('id', '=', reseller.id).executeTakeFirstOrThrow();
      await trx.updateTable('resellers').set({ webhook_url: value, updated_at: this.clock() }).where('id', '=', reseller.id).execute();
      await within?.(trx, before.webhook_url, value);
    });
    return value;
  }

  /** Issues a new key; the old one stops working at once (its digest no longer exists). */
  async rotateKey(idOrEmail: string): Promise<string> {
    const reseller = await this.get(idOrEmail);
    const apiKey = generateApiKey();
    await this.db.kysely
      .updateTable('resellers')
      .set({ api_key_digest: apiKeyDigest(apiKey), api_key_enc: this.secrets.encrypt(apiKey), updated_at: this.clock() })
      .where('id', '=', reseller.id)
      .execute();
    return apiKey;
  }

  /**
   * The caller of a voucher-redeem request (APIGames shape), by the merchant id in its path: null
   * when no reseller has it. The IP whitelist is checked here as `authenticate` does (the
   * signature, which needs the body, is checked by the route). Also returns the API key in
   * clear: the redeem API's `secret_key`.
   */
  async authenticateMerchant(merchantId: string, clientIp: string): Promise<{ reseller: AuthenticatedReseller; apiKey: string } | null> {
    if (merchantId.length === 0 || merchantId.length > 64 || merchantId.includes('\u0000')) return null;
    const row = await this.db.kysely
      .selectFrom('resellers as r')
      .innerJoin('roles', 'roles.code', 'r.role_code')
      .selectAll('r')
      .select('roles.name as role_name')
      .where('r.merchant_id', '=', merchantId)
      // Disabled: answered as an unknown merchant, as `authenticate` answers its key.
      .where('r.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    const caller = toAuthenticated(row, row.role_name);
    if (!ipAllowed(clientIp, parseWhitelist(row.ip_whitelist))) throw new IpNotWhitelistedError(caller);
    return { reseller: caller, apiKey: this.secrets.decrypt(row.api_key_enc) };
  }

  /** The reseller's API key in clear: the HMAC secret of its callbacks. */
  async apiKeyOf(resellerId: string): Promise<string> {
    const enc = await this.#apiKeyEnc(resellerId);
    if (enc === null) throw new Error(`reseller ${resellerId} does not exist`);
    return this.secrets.decrypt(enc);
  }
}

function toSummary(row: Reseller, roleName: string): ResellerSummary {
  return { ...toAuthenticated(row, roleName), ipWhitelist: parseWhitelist(row.ip_whitelist), merchantId: row.merchant_id, disabledAt: row.disabled_at };
}

function toAuthenticated(row: Omit<Reseller, 'api_key_enc' | 'merchant_id' | 'password_hash' | 'disabled_at'>, roleName: string): AuthenticatedReseller {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    roleCode: row.role_code,
    roleName,
    balance: row.balance,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Every API request starts here: a read by the key digest's unique index, of the keys of all
 * the requests of one turn at once (`batchedRead`). It names its columns (no secrets, fewer to
 * decode) and reads the catalog's version in the same round trip, which product-list caches
 * check against (migration 0012).
 */
const keyRows = (q: Queryable) =>
  q
    .selectFrom('resellers as r')
    .innerJoin('roles', 'roles.code', 'r.role_code')
    .select(['r.id', 'r.name', 'r.email', 'r.phone', 'r.role_code', 'r.balance', 'r.webhook_url', 'r.created_at', 'r.updated_at', 'r.api_key_digest', 'r.ip_whitelist'])
    .select('roles.name as role_name')
    .select((eb) => eb.selectFrom('catalog_version').select('version').where('id', '=', 1).as('catalog_version'))
    .where('r.disabled_at', 'is', null);
type KeyRow = InferResult<ReturnType<typeof keyRows>>[number];
const resellerByKey = prepared((q, a: { digest: string }) => keyRows(q).where('r.api_key_digest', '=', a.digest));
const resellersByKeys = (q: Queryable, digests: string[]) => keyRows(q).where('r.api_key_digest', 'in', digests);

