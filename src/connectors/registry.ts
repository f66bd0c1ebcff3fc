import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Db } from '../db/index.js';
import type { SecretBox } from '../security/secret-box.js';
import type { ConnectorFactory, SupplierConnector } from './types.js';

export class UnknownSupplierError extends Error {}

/**
 * Turns a `suppliers` row (kind + encrypted options) into a live connector, validating the
 * options with the connector's own schema. Instances are cached until the row changes.
 */
export class ConnectorRegistry {
  readonly #factories = new Map<string, ConnectorFactory<unknown>>();
  readonly #cache = new Map<string, { version: number; connector: SupplierConnector }>();

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    factories: ConnectorFactory<never>[],
    private readonly ctx: { log: Logger; timeoutMs: number; dataDir: string; dispatcher: Dispatcher; publicUrl: string | null },
  ) {
    for (const f of factories) this.#factories.set(f.kind, f as unknown as ConnectorFactory<unknown>);
  }

  kinds(): string[] {
    return [...this.#factories.keys()];
  }

  factory(kind: string): ConnectorFactory<unknown> | undefined {
    return this.#factories.get(kind);
  }

  /** Where supplier `id` sends callbacks (`POST|GET /suppliers/<id>/callback`), when kios knows its public URL. */
  callbackUrl(id: string): string | null {
    return this.ctx.publicUrl ? `${this.ctx.publicUrl.replace(/\/+$/, '')}/suppliers/${encodeURIComponent(id)}/callback` : null;
  }

  /**
   * The connector of supplier account `supplierId`, rebuilt whenever its row changed (its
   * `updated_at`). A caller that has just read that `updated_at` (a route lookup joins it)
   * passes it as `version` and skips the read when the cached connector is that version.
   */
  async get(supplierId: string, version?: number): Promise<SupplierConnector> {
    const hit = this.#cache.get(supplierId);
    if (hit && version !== undefined && hit.version === version) return hit.connector;
    const row = await this.db.kysely.selectFrom('suppliers').select(['id', 'kind', 'config_enc', 'updated_at']).where('id', '=', supplierId).executeTakeFirst();
    if (!row) throw new UnknownSupplierError(`supplier ${supplierId} does not exist`);
    if (hit && hit.version === row.updated_at) return hit.connector;
    const factory = this.#factories.get(row.kind);
    if (!factory) throw new UnknownSupplierError(`supplier ${supplierId} has unknown kind ${row.kind}`);
    const raw: unknown = row.config_enc ? JSON.parse(this.secrets.decrypt(row.config_enc)) : {};
    const parsed = factory.configSchema.safeParse(raw);
    // Never the zod message itself: it may quote a configured value, and values can be secrets.
    if (!parsed.success) throw new UnknownSupplierError(`supplier ${supplierId} has an invalid configuration (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}): update it`);
    const connector = factory.create(parsed.data, {
      supplierId,
      log: this.ctx.log.child({ supplier: supplierId }),
      timeoutMs: this.ctx.timeoutMs,
      dataDir: this.ctx.dataDir,
      dispatcher: this.ctx.dispatcher,
      callbackUrl: this.callbackUrl(supplierId),
    });
    await hit?.connector.close?.();
    this.#cache.set(supplierId, { version: row.updated_at, connector });
    return connector;
  }

  async close(): Promise<void> {
    for (const { connector } of this.#cache.values()) await connector.close?.();
    this.#cache.clear();
  }
}
