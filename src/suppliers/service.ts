import type { ZodError } from 'zod';
import { flag, isUniqueViolation, type Db } from '../db/index.js';
import type { Supplier } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { CallContext, ConnectorFactory } from '../connectors/types.js';
import { OperatorError } from '../resellers/service.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Pricing } from '../pricing/service.js';
import { configFields, type ConfigField } from './config-fields.js';
import type { RateGate } from './rate-gate.js';

export const SUPPLIER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface SupplierView {
  name: string;
  kind: string;
  title: string;
  active: boolean;
  /** The configuration with every credential masked. */
  config: Record<string, unknown>;
  baseUrl: string | null;
  /** The URL to register at the supplier for its callbacks (null until PUBLIC_URL is set). */
  callbackUrl: string | null;
  /** Null for kinds that send no callbacks. */
  callbackPath: string | null;
  createdAt: number;
  updatedAt: number;
}

export type BalanceResult = { ok: true; balance: number } | { ok: false; reason: string };

/**
 * Supplier accounts as data: a kind (the connector), a name (the handle used by routes, the CLI
 * and the callback URL) and the connector's configuration, validated by the connector's own
 * schema and stored encrypted with KIOS_SECRET_KEY. Nothing here ever returns a credential:
 * every view masks the kind's secret keys, and validation errors name keys, never values.
 */
export class SupplierService {
  constructor(private readonly d: { db: Db; secrets: SecretBox; connectors: ConnectorRegistry; gate: RateGate; pricing: Pricing; clock: Clock }) {}

  /** Every kind with the settings its configuration takes (secret ones marked). */
  kinds(): { kind: string; title: string; callbacks: boolean; fields: ConfigField[] }[] {
    return this.d.connectors.kinds().map((kind) => {
      const f = this.#factory(kind);
      return { kind, title: f.title, callbacks: f.callbacks, fields: configFields(f) };
    });
  }

  async add(kind: string, name: string, config: unknown, o: { title?: string } = {}): Promise<SupplierView> {
    const factory = this.#factory(kind);
    if (!SUPPLIER_NAME.test(name)) throw new OperatorError('the name must be lowercase letters, digits, - or _ (at most 64), e.g. tossgames');
    const parsed = validate(factory, config);
    const now = this.d.clock();
    try {
      await this.d.db.kysely
        .insertInto('suppliers')
        .values({ id: name, kind, name: cleanTitle(o.title) ?? name, config_enc: this.d.secrets.encrypt(JSON.stringify(parsed)), is_active: 1, created_at: now, updated_at: now })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new OperatorError(`a supplier named "${name}" already exists (change it with: kios supplier update ${name} --config ...)`);
      throw err;
    }
    return this.show(name);
  }

  /** Merges `patch` into the stored configuration (a key set to null is removed) and validates the result. */
  async update(name: string, patch: unknown, o: { title?: string } = {}): Promise<SupplierView> {
    const row = await this.#row(name);
    const factory = this.#factory(row.kind);
    if (patch !== undefined && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) throw new OperatorError('--config must be a JSON object');
    const merged: Record<string, unknown> = { ...this.#config(row) };
    for (const [key, value] of Object.entries((patch ?? {}) as Record<string, unknown>)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const parsed = validate(factory, merged);
    await this.#touch(row, { config_enc: this.d.secrets.encrypt(JSON.stringify(parsed)), ...(o.title !== undefined ? { name: cleanTitle(o.title) ?? name } : {}) });
    return this.show(name);
  }

  /**
   * Switches the account on or off for new orders. The products it serves first may now be
   * served by another route at another cost: their markup rules reprice them.
   */
  async setActive(name: string, active: boolean): Promise<SupplierView> {
    const row = await this.#row(name);
    if ((row.is_active === 1) !== active) {
      await this.#touch(row, { is_active: flag(active) });
      await this.d.db.transaction(async (trx) => {
        const products = await trx.selectFrom('product_routes').select('product_id').distinct().where('supplier_id', '=', row.id).execute();
        await this.d.pricing.repriceIn(trx, products.map((p) => p.product_id));
      });
    }
    return this.show(name);
  }

  async show(name: string): Promise<SupplierView> {
    return this.#view(await this.#row(name));
  }

  async list(): Promise<SupplierView[]> {
    const rows = await this.d.db.kysely.selectFrom('suppliers').selectAll().orderBy('id').execute();
    return rows.map((r) => this.#view(r));
  }

  /**
   * The supplier's balance for kios's account: a signed, harmless call, which is also how
   * `supplier test` proves credentials work. Never throws; the reason says what went wrong.
   */
  async balance(name: string): Promise<BalanceResult> {
    const row = await this.#row(name);
    let reason: string;
    try {
      const connector = await this.d.connectors.get(row.id);
      if (!connector.balance) return { ok: false, reason: `${row.kind} has no balance call` };
      const call: CallContext = { exchanges: [] };
      const freeAt = await this.d.gate.take(row.id, connector.rateLimit);
      if (freeAt !== null) return { ok: false, reason: `rate limit reached; a slot frees at ${new Date(freeAt).toISOString()}` };
      return { ok: true, balance: await connector.balance(call) };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    return { ok: false, reason: reason.slice(0, 300) };
  }

  async #touch(row: Supplier, values: Partial<Pick<Supplier, 'config_enc' | 'is_active' | 'name'>>): Promise<void> {
    // Strictly later than before: connectors are cached by this timestamp.
    const updated_at = Math.max(this.d.clock(), row.updated_at + 1);
    await this.d.db.kysely.updateTable('suppliers').set({ ...values, updated_at }).where('id', '=', row.id).execute();
  }

  async #row(name: string): Promise<Supplier> {
    const row = await this.d.db.kysely.selectFrom('suppliers').selectAll().where('id', '=', name).executeTakeFirst();
    if (!row) throw new OperatorError(`no supplier named "${name}" (see: kios supplier list)`, 'not_found');
    return row;
  }

  #factory(kind: string): ConnectorFactory<unknown> {
    const f = this.d.connectors.factory(kind);
    if (!f) throw new OperatorError(`unknown supplier kind "${kind}" (known: ${this.d.connectors.kinds().join(', ')})`);
    return f;
  }

  #config(row: Supplier): Record<string, unknown> {
    return row.config_enc ? (JSON.parse(this.d.secrets.decrypt(row.config_enc)) as Record<string, unknown>) : {};
  }

  #view(row: Supplier): SupplierView {
    const factory = this.d.connectors.factory(row.kind);
    const raw = this.#config(row);
    // Defaults (such as base_url) shown as the connector will use them.
    const parsed = factory?.configSchema.safeParse(raw);
    const config = (parsed?.success ? parsed.data : raw) as Record<string, unknown>;
    return {
      name: row.id,
      kind: row.kind,
      title: row.name,
      active: row.is_active === 1,
      config: maskConfig(config, factory?.secretKeys ?? []),
      baseUrl: typeof config.base_url === 'string' ? config.base_url : null,
      callbackUrl: factory?.callbacks ? this.d.connectors.callbackUrl(row.id) : null,
      callbackPath: factory?.callbacks ? `/suppliers/${row.id}/callback` : null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

function validate(factory: ConnectorFactory<unknown>, config: unknown): unknown {
  const r = factory.configSchema.safeParse(config ?? {});
  if (!r.success) throw new OperatorError(`invalid ${factory.kind} configuration:\n${describeIssues(r.error)}`);
  return r.data;
}

/** Every problem, naming the key; never the value given (it may be a credential). */
function describeIssues(e: ZodError): string {
  return e.issues
    .map((i) => {
      const key = i.path.length ? i.path.join('.') : '(config)';
      const message = i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
      return `  - ${key}: ${message}`;
    })
    .join('\n');
}

/** Credentials shown as `••••` plus their last 4 characters (when long enough to keep them secret). */
export function maskCredential(value: unknown): string {
  const s = String(value);
  return s.length >= 16 ? `••••${s.slice(-4)}` : '••••';
}

function maskConfig(config: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secretKeys.includes(k) && v !== undefined && v !== null ? maskCredential(v) : v]));
}

function cleanTitle(title: string | undefined): string | undefined {
  const t = title?.trim();
  if (t === undefined || t === '') return undefined;
  if (t.length > 100) throw new OperatorError('the title is at most 100 characters');
  return t;
}
