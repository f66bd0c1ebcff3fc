import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { Db, Queryable } from '../db/index.js';
import { flag } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import type { SecretBox } from '../security/secret-box.js';
import { catalogFileSchema, splitPatternProblem } from './format.js';

export class CatalogImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`catalog file is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface CatalogImportDeps {
  db: Db;
  secrets: SecretBox;
  connectors: ConnectorRegistry;
  clock: Clock;
}

/**
 * A catalog file (`kios catalog import`, the dashboard's upload, the demo catalog): checked
 * whole, against itself and the database, with every problem reported at once; then written in
 * one transaction (upsert; nothing is deleted).
 */
export async function importCatalog(d: CatalogImportDeps, input: unknown): Promise<{ tiers: number; suppliers: number; categories: number; products: number }> {
  const parsed = catalogFileSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    // Cross-check what the file's well-typed parts allow too, so one run lists every mistake.
    try {
      await plan(d, d.db.kysely, salvage(input));
    } catch (err) {
      if (!(err instanceof CatalogImportError)) throw err;
      problems.push(...err.problems);
    }
    throw new CatalogImportError(problems);
  }
  const file = parsed.data;
  const now = d.clock();
  const counts = await d.db.transaction(async (trx) => {
    const ids = await plan(d, trx, file);
    for (const t of file.tiers) {
      await trx
        .insertInto('roles')
        .values({ code: t.code, name: t.name, sort_order: t.order, created_at: now })
        .onConflict((oc) => oc.column('code').doUpdateSet({ name: t.name, sort_order: t.order }))
        .execute();
    }
    for (const s of file.suppliers) {
      const config = ids.supplierConfigs.get(s.id);
      const configEnc = config === undefined ? undefined : d.secrets.encrypt(JSON.stringify(config));
      await trx
        .insertInto('suppliers')
        .values({ id: s.id, kind: s.kind, name: s.name, config_enc: configEnc ?? null, is_active: flag(s.active), created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ kind: s.kind, name: s.name, is_active: flag(s.active), updated_at: now, ...(configEnc !== undefined ? { config_enc: configEnc } : {}) }),
        )
        .execute();
    }
    let products = 0;
    for (const c of file.categories) {
      const categoryId = ids.categoryIds.get(c.slug)!;
      const values = {
        code: c.code,
        type: c.type,
        title: c.title,
        subtitle: c.subtitle,
        slug: c.slug,
        photo: c.photo,
        banner: c.banner,
        is_active: flag(c.active),
        is_server: flag(c.form ? c.form.length > 1 : c.server.required),
        is_popular: flag(c.popular),
        is_hotsale: flag(c.hotsale),
        sort_order: c.order,
        destination_split: c.server.split,
        check_account: flag(c.check_account ?? c.type === 'game'),
        form: c.form ? JSON.stringify(c.form) : null,
        updated_at: now,
      };
      await trx
        .insertInto('categories')
        .values({ id: categoryId, ...values, created_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
      for (const p of c.products) {
        const productId = ids.productIds.get(p.code)!;
        const pv = { code: p.code, name: p.name, logo: p.logo, category_id: categoryId, is_active: flag(p.active), sort_order: p.order, form: p.form ? JSON.stringify(p.form) : null, updated_at: now };
        await trx
          .insertInto('products')
          .values({ id: productId, ...pv, created_at: now })
          .onConflict((oc) => oc.column('id').doUpdateSet(pv))
          .execute();
        await trx.deleteFrom('product_prices').where('product_id', '=', productId).execute();
        await trx
          .insertInto('product_prices')
          .values(Object.entries(p.prices).map(([role, price]) => ({ product_id: productId, role_code: role, price })))
          .execute();
        await trx.deleteFrom('product_routes').where('product_id', '=', productId).execute();
        await trx
          .insertInto('product_routes')
          .values(
            p.routes.map((r, i) => ({
              id: newId('rt'),
              product_id: productId,
              supplier_id: r.supplier,
              sku: r.sku,
              cost: r.cost ?? null,
              priority: i + 1,
              is_active: flag(r.active),
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        products += 1;
      }
    }
    return { tiers: file.tiers.length, suppliers: file.suppliers.length, categories: file.categories.length, products };
  });
  return counts;
}

/**
 * Cross-checks the file against itself and the database; throws every problem at once.
 * Ids missing from the file are taken from the existing row with the same slug / code.
 */
async function plan(d: Pick<CatalogImportDeps, 'connectors'>, trx: Queryable, file: PlanInput) {
  const problems: string[] = [];
  const existingTiers = new Set((await trx.selectFrom('roles').select('code').execute()).map((r) => r.code));
  const tiers = new Set([...existingTiers, ...file.tiers.map((t) => t.code)]);
  const existingSuppliers = new Map((await trx.selectFrom('suppliers').select(['id', 'kind']).execute()).map((s) => [s.id, s.kind]));
  const suppliers = new Set([...existingSuppliers.keys(), ...file.suppliers.map((s) => s.id)]);
  const supplierConfigs = new Map<string, unknown>();

  dupes(file.tiers.map((t) => t.code), 'tier code', problems);
  dupes(file.suppliers.map((s) => s.id), 'supplier id', problems);
  dupes(file.categories.map((c) => c.slug), 'category slug', problems);
  dupes(file.categories.flatMap((c) => (c.id ? [c.id] : [])), 'category id', problems);
  dupes(file.categories.flatMap((c) => c.products.map((p) => p.code)), 'product code', problems);
  dupes(file.categories.flatMap((c) => c.products.flatMap((p) => (p.id ? [p.id] : []))), 'product id', problems);

  file.suppliers.forEach((s, i) => {
    const factory = d.connectors.factory(s.kind);
    if (!factory) {
      problems.push(`suppliers.${i}.kind: unknown connector kind "${s.kind}" (known: ${d.connectors.kinds().join(', ')})`);
      return;
    }
    const kindBefore = existingSuppliers.get(s.id);
    // Without a config an existing supplier keeps its own; a new one gets the connector defaults.
    if (s.config === undefined && kindBefore !== undefined) {
      if (kindBefore !== s.kind) problems.push(`suppliers.${i}: changing kind from ${kindBefore} to ${s.kind} needs a config`);
      return;
    }
    const r = factory.configSchema.safeParse(s.config ?? {});
    if (!r.success) problems.push(...r.error.issues.map((iss) => `suppliers.${i}.config.${iss.path.join('.')}: ${iss.message}`));
    else supplierConfigs.set(s.id, r.data);
  });

  const categoryIds = new Map<string, string>();
  const productIds = new Map<string, string>();
  const existingCategories = await trx.selectFrom('categories').select(['id', 'slug']).execute();
  const existingProducts = await trx.selectFrom('products').select(['id', 'code']).execute();
  const catBySlug = new Map(existingCategories.map((c) => [c.slug, c.id]));
  const prodByCode = new Map(existingProducts.map((p) => [p.code, p.id]));

  file.categories.forEach((c, ci) => {
    const at = `categories.${ci} (${c.slug})`;
    const id = c.id ?? catBySlug.get(c.slug) ?? randomUUID();
    const slugOwner = catBySlug.get(c.slug);
    if (slugOwner && slugOwner !== id) problems.push(`${at}: slug ${c.slug} belongs to another category (${slugOwner})`);
    categoryIds.set(c.slug, id);
    if (c.server.split !== null) {
      const problem = splitPatternProblem(c.server.split);
      if (problem) problems.push(`${at}.server.split: ${problem}`);
    }
    c.products.forEach((p, pi) => {
      const pat = `${at}.products.${pi} (${p.code})`;
      const pid = p.id ?? prodByCode.get(p.code) ?? randomUUID();
      const codeOwner = prodByCode.get(p.code);
      if (codeOwner && codeOwner !== pid) problems.push(`${pat}: code ${p.code} belongs to another product (${codeOwner})`);
      productIds.set(p.code, pid);
      for (const tier of Object.keys(p.prices)) if (!tiers.has(tier)) problems.push(`${pat}.prices: unknown tier "${tier}"`);
      for (const r of p.routes) if (!suppliers.has(r.supplier)) problems.push(`${pat}.routes: unknown supplier "${r.supplier}"`);
      dupes(p.routes.map((r) => `${r.supplier} ${r.sku}`), `${pat}.routes: route`, problems);
    });
  });
  if (problems.length > 0) throw new CatalogImportError(problems);
  return { categoryIds, productIds, supplierConfigs };
}

/** The parts of a catalog file the cross-checks (`#plan`) read. */
interface PlanInput {
  tiers: { code: string }[];
  suppliers: { id: string; kind: string; config?: unknown }[];
  categories: {
    id?: string | undefined;
    slug: string;
    server: { split: string | null };
    products: { id?: string | undefined; code: string; prices: Record<string, unknown>; routes: { supplier: string; sku?: unknown }[] }[];
  }[];
}

/**
 * What the cross-checks can read from a file that failed the schema: every element whose
 * identifying fields have the right type (the schema has already reported the others).
 */
function salvage(input: unknown): PlanInput {
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(obj) : []);
  const str = (v: unknown): v is string => typeof v === 'string';
  const uuid = (v: unknown): string | undefined => (str(v) && z.uuid().safeParse(v).success ? v : undefined);
  const file = obj(input);
  return {
    tiers: list(file.tiers).flatMap((t) => (str(t.code) ? [{ code: t.code }] : [])),
    suppliers: list(file.suppliers).flatMap((s) => (str(s.id) && str(s.kind) ? [{ id: s.id, kind: s.kind, config: s.config }] : [])),
    categories: list(file.categories).flatMap((c) => {
      if (!str(c.slug)) return [];
      const split = obj(c.server).split;
      return [
        {
          id: uuid(c.id),
          slug: c.slug,
          server: { split: str(split) ? split : null },
          products: list(c.products).flatMap((p) =>
            str(p.code) ? [{ id: uuid(p.id), code: p.code, prices: obj(p.prices), routes: list(p.routes).flatMap((r) => (str(r.supplier) ? [{ supplier: r.supplier, sku: r.sku }] : [])) }] : [],
          ),
        },
      ];
    }),
  };
}

function dupes(values: string[], what: string, problems: string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) problems.push(`${what} ${v} appears more than once`);
    seen.add(v);
  }
}
