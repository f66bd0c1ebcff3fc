import type { ExpressionBuilder, InferResult } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Db, Queryable } from '../db/index.js';
import { batchedRead, groupBy } from '../db/batched-read.js';
import { prepared } from '../db/prepared.js';
import type { Clock } from '../domain/clock.js';
import type { SecretBox } from '../security/secret-box.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { readForm, type InputForm } from '../domain/input-form.js';
import { exportCatalog } from './export.js';
import type { CatalogFile } from './format.js';
import { importCatalog } from './import.js';

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

  /** Checks a whole catalog file, then writes it in one transaction (upsert; nothing is deleted): see `import.ts`. */
  import(input: unknown): Promise<{ tiers: number; suppliers: number; categories: number; products: number }> {
    return importCatalog({ db: this.db, secrets: this.secrets, connectors: this.connectors, clock: this.clock }, input);
  }

  /** The whole catalog in the import format; supplier options are left out (they hold credentials). */
  export(): Promise<CatalogFile> {
    return exportCatalog(this.db);
  }
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
