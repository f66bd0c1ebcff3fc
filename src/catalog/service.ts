import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, InferResult } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import type { Db, Queryable } from '../db/index.js';
import { flag } from '../db/index.js';
import { batchedRead, groupBy } from '../db/batched-read.js';
import { prepared } from '../db/prepared.js';
import type { Clock } from '../domain/clock.js';
import type { SecretBox } from '../security/secret-box.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { newId } from '../domain/ids.js';
import { readForm, type InputForm } from '../domain/input-form.js';
import { catalogFileSchema, splitPatternProblem, type CatalogFile } from './format.js';

/** Everything the order pipeline needs to know about a product, for one reseller tier. */
export interface OrderableProduct {
  id: string;
  code: string;
  name: string;
  active: boolean;
  /** The caller's tier price; null when the product is not sold to that tier. */
  price: number | null;
  category: {
    id: string;
    code: string;
    type: string;
    title: string;
    subtitle: string | null;
    active: boolean;
    needsServer: boolean;
    destinationSplit: string | null;
    checkAccount: boolean;
  };
  /** The first active supplier route (the account check asks its supplier), or null when nobody can fulfil it. */
  route: { supplierId: string; sku: string; /** The supplier row's `updated_at`: its connector's cache key. */ supplierVersion: number } | null;
  /** The inputs a buyer gives (the product's form, else its category's), or null: plain user_id / server_id. */
  form: InputForm | null;
}

export interface ProductListItem {
  id: string;
  name: string;
  code: string;
  logo: string | null;
  price: number;
  active: boolean;
  categoryType: string;
  categoryTitle: string;
  categorySubtitle: string | null;
}

export class CatalogImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`catalog file is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const DEFAULT_TIERS = [
  { code: 'member', name: 'Member', order: 1 },
  { code: 'gold', name: 'Gold Member', order: 2 },
  { code: 'platinum', name: 'Platinum Member', order: 3 },
] as const;

export class CatalogService {
  /** What an order needs of its product, by tier and code: one statement per tier for the orders of a turn. */
  readonly #orderable: (key: string) => Promise<OrderableRow | undefined>;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly connectors: ConnectorRegistry,
    private readonly clock: Clock,
  ) {
    this.#orderable = batchedRead(async (keys: string[]) => {
      const byRole = groupBy(keys.map((k) => JSON.parse(k) as [string, string]), ([role]) => role);
      const found = new Map<string, OrderableRow>();
      await Promise.all(
        [...byRole].map(async ([roleCode, pairs]) => {
          const codes = pairs.map(([, code]) => code);
          const rows = codes.length === 1 ? await orderableProduct.all(db.kysely, { roleCode, productCode: codes[0]! }) : await orderableRows(db.kysely, roleCode).where('p.code', 'in', codes).execute();
          for (const row of rows) found.set(JSON.stringify([roleCode, row.code]), row);
        }),
      );
      return found;
    }, undefined);
  }

  /** Creates the default tiers on an empty database. */
  async ensureDefaultTiers(): Promise<void> {
    const now = this.clock();
    await this.db.kysely
      .insertInto('roles')
      .values(DEFAULT_TIERS.map((t) => ({ code: t.code, name: t.name, sort_order: t.order, created_at: now })))
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
  }

  async findForOrder(productCode: string, roleCode: string): Promise<OrderableProduct | null> {
    const row = await this.#orderable(JSON.stringify([roleCode, productCode]));
    if (!row) return null;
    const form = readForm(row.form) ?? readForm(row.category_form);
    return {
      id: row.id,
      code: row.code,
      name: row.name,
      active: row.is_active === 1,
      price: row.price ?? null,
      category: {
        id: row.category_id,
        code: row.category_code,
        type: row.category_type,
        title: row.category_title,
        subtitle: row.category_subtitle,
        active: row.category_active === 1,
        needsServer: form ? form.length > 1 : row.is_server === 1,
        destinationSplit: row.destination_split,
        checkAccount: row.check_account === 1,
      },
      route: row.route_supplier && row.route_sku && row.route_version !== null ? { supplierId: row.route_supplier, sku: row.route_sku, supplierVersion: Number(row.route_version) } : null,
      form,
    };
  }

  /** The products a tier can buy (inactive ones included, marked inactive), in display order. */
  async listProducts(roleCode: string, filter: { categoryId?: string; productId?: string; productCode?: string } = {}): Promise<ProductListItem[]> {
    let q = this.db.kysely
      .selectFrom('products as p')
      .innerJoin('categories as c', 'c.id', 'p.category_id')
      .innerJoin('product_prices as pp', (j) => j.onRef('pp.product_id', '=', 'p.id').on('pp.role_code', '=', roleCode))
      .select([
        'p.id',
        'p.name',
        'p.code',
        'p.logo',
        'pp.price',
        'p.is_active',
        'c.is_active as category_active',
        'c.type as category_type',
        'c.title as category_title',
        'c.subtitle as category_subtitle',
      ]);
    if (filter.categoryId !== undefined) q = q.where('p.category_id', '=', filter.categoryId);
    if (filter.productId !== undefined) q = q.where('p.id', '=', filter.productId);
    if (filter.productCode !== undefined) q = q.where('p.code', '=', filter.productCode);
    const rows = await q.orderBy('c.sort_order').orderBy('c.title').orderBy('p.sort_order').orderBy('pp.price').orderBy('p.code').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      code: r.code,
      logo: r.logo,
      price: r.price,
      active: r.is_active === 1 && r.category_active === 1,
      categoryType: r.category_type,
      categoryTitle: r.category_title,
      categorySubtitle: r.category_subtitle,
    }));
  }

  async listCategories() {
    return this.db.kysely.selectFrom('categories').selectAll().orderBy('sort_order').orderBy('title').execute();
  }

  /** Validates the whole file, then writes it in one transaction (upsert; nothing is deleted). */
  async import(input: unknown): Promise<{ tiers: number; suppliers: number; categories: number; products: number }> {
    const parsed = catalogFileSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      // Cross-check what the file's well-typed parts allow too, so one run lists every mistake.
      try {
        await this.#plan(this.db.kysely, salvage(input));
      } catch (err) {
        if (!(err instanceof CatalogImportError)) throw err;
        problems.push(...err.problems);
      }
      throw new CatalogImportError(problems);
    }
    const file = parsed.data;
    const now = this.clock();
    const counts = await this.db.transaction(async (trx) => {
      const plan = await this.#plan(trx, file);
      for (const t of file.tiers) {
        await trx
          .insertInto('roles')
          .values({ code: t.code, name: t.name, sort_order: t.order, created_at: now })
          .onConflict((oc) => oc.column('code').doUpdateSet({ name: t.name, sort_order: t.order }))
          .execute();
      }
      for (const s of file.suppliers) {
        const config = plan.supplierConfigs.get(s.id);
        const configEnc = config === undefined ? undefined : this.secrets.encrypt(JSON.stringify(config));
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
        const categoryId = plan.categoryIds.get(c.slug)!;
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
          const productId = plan.productIds.get(p.code)!;
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
  async #plan(trx: Queryable, file: PlanInput) {
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
      const factory = this.connectors.factory(s.kind);
      if (!factory) {
        problems.push(`suppliers.${i}.kind: unknown connector kind "${s.kind}" (known: ${this.connectors.kinds().join(', ')})`);
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

  /** The whole catalog in the import format; supplier options are left out (they hold credentials). */
  async export(): Promise<CatalogFile> {
    const k = this.db.kysely;
    const [tiers, suppliers, categories, products, prices, routes] = await Promise.all([
      k.selectFrom('roles').selectAll().orderBy('sort_order').orderBy('code').execute(),
      k.selectFrom('suppliers').selectAll().orderBy('id').execute(),
      k.selectFrom('categories').selectAll().orderBy('sort_order').orderBy('title').execute(),
      k.selectFrom('products').selectAll().orderBy('sort_order').orderBy('code').execute(),
      k.selectFrom('product_prices').selectAll().orderBy('role_code').execute(),
      k.selectFrom('product_routes').selectAll().orderBy('priority').orderBy('id').execute(),
    ]);
    const tierOrder = new Map(tiers.map((t, i) => [t.code, i]));
    return {
      tiers: tiers.map((t) => ({ code: t.code, name: t.name, order: t.sort_order })),
      suppliers: suppliers.map((s) => ({ id: s.id, kind: s.kind, name: s.name, active: s.is_active === 1 })),
      categories: categories.map((c) => ({
        id: c.id,
        code: c.code,
        type: c.type,
        title: c.title,
        subtitle: c.subtitle,
        slug: c.slug,
        photo: c.photo,
        banner: c.banner,
        active: c.is_active === 1,
        popular: c.is_popular === 1,
        hotsale: c.is_hotsale === 1,
        order: c.sort_order,
        server: { required: c.is_server === 1, split: c.destination_split },
        check_account: c.check_account === 1,
        ...withForm(c.form),
        products: products
          .filter((p) => p.category_id === c.id)
          .map((p) => ({
            id: p.id,
            code: p.code,
            name: p.name,
            logo: p.logo,
            active: p.is_active === 1,
            order: p.sort_order,
            prices: Object.fromEntries(
              prices
                .filter((x) => x.product_id === p.id)
                .sort((a, b) => (tierOrder.get(a.role_code) ?? 0) - (tierOrder.get(b.role_code) ?? 0))
                .map((x) => [x.role_code, x.price]),
            ),
            routes: routes.filter((r) => r.product_id === p.id).map((r) => ({ supplier: r.supplier_id, sku: r.sku, cost: r.cost, active: r.is_active === 1 })),
            ...withForm(p.form),
          })),
      })),
    };
  }
}

function withForm(json: string | null): { form?: InputForm } {
  const form = readForm(json);
  return form ? { form } : {};
}

/** The products orders name, with their tier's price and first route (read for the orders of a turn at once). */
const orderableRows = (q: Queryable, roleCode: string) =>
  q
    .selectFrom('products as p')
    .innerJoin('categories as c', 'c.id', 'p.category_id')
    .leftJoin('product_prices as pp', (j) => j.onRef('pp.product_id', '=', 'p.id').on('pp.role_code', '=', roleCode))
    .select([
      'p.id',
      'p.code',
      'p.name',
      'p.is_active',
      'pp.price',
      'c.id as category_id',
      'c.code as category_code',
      'c.type as category_type',
      'c.title as category_title',
      'c.subtitle as category_subtitle',
      'c.is_active as category_active',
      'c.is_server',
      'c.destination_split',
      'c.check_account',
      'p.form',
      'c.form as category_form',
      // The first route by priority (active, with an active supplier): the one an order tries first.
      (eb) => firstRoute(eb).select('r.supplier_id').as('route_supplier'),
      (eb) => firstRoute(eb).select('r.sku').as('route_sku'),
      (eb) => firstRoute(eb).select('s.updated_at').as('route_version'),
    ]);
type OrderableRow = InferResult<ReturnType<typeof orderableRows>>[number];
const orderableProduct = prepared((q, a: { productCode: string; roleCode: string }) => orderableRows(q, a.roleCode).where('p.code', '=', a.productCode));

function firstRoute(eb: ExpressionBuilder<Database & { p: Database['products'] }, 'p'>) {
  return eb
    .selectFrom('product_routes as r')
    .innerJoin('suppliers as s', 's.id', 'r.supplier_id')
    .whereRef('r.product_id', '=', 'p.id')
    .where('r.is_active', '=', 1)
    .where('s.is_active', '=', 1)
    .orderBy('r.priority')
    .orderBy('r.id')
    .limit(1);
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
