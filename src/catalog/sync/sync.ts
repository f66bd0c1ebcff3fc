import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConnectorRegistry } from '../../connectors/registry.js';
import type { SupplierProduct } from '../../connectors/types.js';
import type { Db, Queryable } from '../../db/index.js';
import type { Clock } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { inputFormSchema } from '../../domain/input-form.js';
import { releaseLease, takeLease } from '../../jobs/lease.js';
import type { BelowCost, PriceChange } from '../../pricing/reprice.js';
import type { Pricing } from '../../pricing/service.js';
import { OperatorError } from '../../resellers/service.js';
import type { RateGate } from '../../suppliers/rate-gate.js';
import { categoryCodeFor, categoryTypeFor, productCodeFor, slugFor } from './naming.js';

export interface SyncProgress {
  phase: 'fetch' | 'apply';
  done: number;
  /** Unknown while the supplier's list is still arriving. */
  total: number | null;
}

export interface SyncReport {
  supplier: string;
  dryRun: boolean;
  /** Supplier products received. */
  fetched: number;
  createdCategories: string[];
  created: { code: string; sku: string; name: string; cost: number }[];
  /** Supplier products that already had a hand-made route, now mapped to its product. */
  adopted: { code: string; sku: string }[];
  costChanged: { code: string; sku: string; from: number | null; to: number }[];
  deactivated: { code: string; sku: string; why: 'gone' | 'inactive' }[];
  reactivated: { code: string; sku: string }[];
  /** Categories whose input form followed the supplier's. */
  formsUpdated: string[];
  repriced: PriceChange[];
  belowCost: BelowCost[];
  /** New products no tier can buy yet (no markup rule covers them): price them or add a rule. */
  unpriced: string[];
  /** Rows written (0 on a run that found nothing to change). */
  writes: number;
}

const LEASE_MS = 15 * 60_000;
const BATCH = 200;

/** Thrown at the end of a dry run to roll its transaction back with the report it built. */
class DryRunDone extends Error {
  constructor(readonly report: SyncReport) {
    super('dry run');
  }
}

/**
 * `kios catalog sync <supplier>`: the catalog follows the supplier. The supplier's list is pulled
 * first (nothing is written while it arrives), then applied in one transaction: a failed pull or
 * a crash changes nothing. Supplier products are matched by the stored mapping
 * (`supplier_products`: supplier sku -> kios product), so the first run creates kios categories
 * and products (with generated codes the operator may rename) and later runs update: route costs
 * follow the supplier, a product gone or switched off at the supplier deactivates only that
 * route (other suppliers may still serve the product), and markup rules reprice what changed,
 * never below cost. A run that finds nothing new writes nothing. A dry run applies everything in
 * its transaction and rolls it back, so it reports exactly what a real run would do.
 */
export class CatalogSync {
  constructor(private readonly d: { db: Db; connectors: ConnectorRegistry; pricing: Pricing; gate: RateGate; clock: Clock; log: Logger }) {}

  async run(supplierId: string, opts: { dryRun?: boolean; onProgress?: (p: SyncProgress) => void } = {}): Promise<SyncReport> {
    const supplier = await this.d.db.kysely.selectFrom('suppliers').select(['id', 'kind']).where('id', '=', supplierId).executeTakeFirst();
    if (!supplier) throw new OperatorError(`no supplier named "${supplierId}" (see: kios supplier list)`);
    const connector = await this.d.connectors.get(supplier.id);
    if (!connector.catalog) throw new OperatorError(`${supplier.kind} suppliers publish no catalog to sync`);

    const holder = randomUUID();
    const lease = `catalog-sync:${supplier.id}`;
    if (!(await takeLease(this.d.db.kysely, lease, holder, this.d.clock(), LEASE_MS))) throw new OperatorError(`a catalog sync of ${supplier.id} is already running`);
    try {
      const pulled = new Map<string, SupplierProduct>();
      const progress = opts.onProgress ?? (() => {});
      const pace = async () => {
        // Each request of the pull takes a slot of the account's rate limit, as purchases do.
        for (let freeAt = await this.d.gate.take(supplier.id, connector.rateLimit); freeAt !== null; freeAt = await this.d.gate.take(supplier.id, connector.rateLimit)) {
          await setTimeout(Math.max(freeAt - this.d.clock(), 1));
        }
      };
      for await (const p of connector.catalog({ exchanges: [], pace })) {
        if (!usable(p)) continue;
        pulled.set(p.sku, p);
        if (pulled.size % 250 === 0) progress({ phase: 'fetch', done: pulled.size, total: null });
      }
      progress({ phase: 'fetch', done: pulled.size, total: pulled.size });
      try {
        return await this.d.db.transaction(async (trx) => {
          const report = await this.#apply(trx, supplier.id, pulled, opts.dryRun === true, progress);
          if (opts.dryRun) throw new DryRunDone(report);
          return report;
        });
      } catch (err) {
        if (err instanceof DryRunDone) return err.report;
        throw err;
      }
    } finally {
      await releaseLease(this.d.db.kysely, lease, holder);
    }
  }

  async #apply(trx: Queryable, supplierId: string, pulled: Map<string, SupplierProduct>, dryRun: boolean, progress: (p: SyncProgress) => void): Promise<SyncReport> {
    const now = this.d.clock();
    const report: SyncReport = {
      supplier: supplierId,
      dryRun,
      fetched: pulled.size,
      createdCategories: [],
      created: [],
      adopted: [],
      costChanged: [],
      deactivated: [],
      reactivated: [],
      formsUpdated: [],
      repriced: [],
      belowCost: [],
      unpriced: [],
      writes: 0,
    };
    const [known, brandRows, routes, products, categories] = await Promise.all([
      trx.selectFrom('supplier_products').selectAll().where('supplier_id', '=', supplierId).execute(),
      trx.selectFrom('supplier_brands').selectAll().where('supplier_id', '=', supplierId).execute(),
      trx.selectFrom('product_routes').select(['id', 'product_id', 'sku', 'cost', 'is_active']).where('supplier_id', '=', supplierId).execute(),
      trx.selectFrom('products').select(['id', 'code', 'category_id']).execute(),
      trx.selectFrom('categories').select(['id', 'code', 'slug', 'title', 'form']).execute(),
    ]);
    const knownBySku = new Map(known.map((k) => [k.sku, k]));
    const brands = new Map(brandRows.map((b) => [b.brand, b]));
    const routesBySku = new Map<string, typeof routes>();
    for (const r of routes) routesBySku.set(r.sku, [...(routesBySku.get(r.sku) ?? []), r]);
    const productById = new Map(products.map((p) => [p.id, p]));
    const categoryById = new Map(categories.map((c) => [c.id, c]));
    const categoryByTitle = new Map(categories.map((c) => [titleKey(c.title), c.id]));
    const productCodes = new Set(products.map((p) => p.code));
    const categoryCodes = new Set(categories.map((c) => c.code));
    const slugs = new Set(categories.map((c) => c.slug));
    const affected = new Set<string>();
    const created = new Set<string>();
    const newProducts: Record<string, unknown>[] = [];
    const newRoutes: Record<string, unknown>[] = [];
    const newKnown: Record<string, unknown>[] = [];
    const codeOf = (productId: string) => productById.get(productId)?.code ?? productId;
    const setRoutes = async (sku: string, values: { cost?: number; is_active?: number }) => {
      for (const r of routesBySku.get(sku) ?? []) {
        await trx.updateTable('product_routes').set({ ...values, updated_at: now }).where('id', '=', r.id).execute();
        report.writes += 1;
        affected.add(r.product_id);
      }
    };

    // The category a supplier brand's products go into: the one mapped before, else the one its
    // hand-made routes already use, else the category of the same title (a second supplier's
    // "MOBILE LEGENDS" joins the existing "Mobile Legends"), else a new one.
    const categoryFor = async (p: SupplierProduct, hint: string | null): Promise<string> => {
      const mapped = brands.get(p.brand);
      if (mapped) return mapped.category_id;
      const form = p.form ? JSON.stringify(p.form) : null;
      let categoryId = hint ?? categoryByTitle.get(titleKey(p.brand)) ?? null;
      const existing = categoryId ? categoryById.get(categoryId) : undefined;
      if (existing && form !== null && existing.form === null) {
        // An existing category without a form takes the brand's: its orders now carry the inputs this supplier needs.
        await trx.updateTable('categories').set({ form, is_server: p.form!.length > 1 ? 1 : 0, updated_at: now }).where('id', '=', existing.id).execute();
        existing.form = form;
        report.formsUpdated.push(existing.code);
        report.writes += 1;
      }
      if (!categoryId) {
        categoryId = randomUUID();
        const code = categoryCodeFor(p.brand, categoryCodes);
        await trx
          .insertInto('categories')
          .values({
            id: categoryId,
            code,
            type: categoryTypeFor(p.category),
            title: p.brand.slice(0, 100),
            subtitle: null,
            slug: slugFor(p.brand, slugs),
            photo: null,
            banner: null,
            is_active: 1,
            is_server: p.form ? (p.form.length > 1 ? 1 : 0) : p.needsServer ? 1 : 0,
            is_popular: 0,
            is_hotsale: 0,
            sort_order: 0,
            destination_split: null,
            check_account: categoryTypeFor(p.category) === 'game' ? 1 : 0,
            form,
            created_at: now,
            updated_at: now,
          })
          .execute();
        categoryById.set(categoryId, { id: categoryId, code, slug: '', title: p.brand, form });
        categoryByTitle.set(titleKey(p.brand), categoryId);
        report.createdCategories.push(code);
        report.writes += 1;
      }
      await trx.insertInto('supplier_brands').values({ supplier_id: supplierId, brand: p.brand, category_id: categoryId, form }).execute();
      brands.set(p.brand, { supplier_id: supplierId, brand: p.brand, category_id: categoryId, form });
      report.writes += 1;
      return categoryId;
    };

    let done = 0;
    const ordered = [...pulled.values()].sort((a, b) => a.brand.localeCompare(b.brand) || a.sku.localeCompare(b.sku));
    for (const p of ordered) {
      if (++done % 500 === 0) progress({ phase: 'apply', done, total: ordered.length });
      const before = knownBySku.get(p.sku);
      if (!before) {
        const handMade = routesBySku.get(p.sku)?.[0];
        let productId: string;
        if (handMade) {
          productId = handMade.product_id;
          await categoryFor(p, productById.get(productId)?.category_id ?? null);
          report.adopted.push({ code: codeOf(productId), sku: p.sku });
          if (handMade.cost !== p.cost || handMade.is_active !== (p.active ? 1 : 0)) await setRoutes(p.sku, { cost: p.cost, is_active: p.active ? 1 : 0 });
        } else {
          const categoryId = await categoryFor(p, null);
          productId = randomUUID();
          const code = productCodeFor(p.sku, productCodes);
          newProducts.push({ id: productId, code, name: p.name.slice(0, 150), logo: null, category_id: categoryId, is_active: 1, sort_order: 0, form: null, created_at: now, updated_at: now });
          newRoutes.push({ id: newId('rt'), product_id: productId, supplier_id: supplierId, sku: p.sku, cost: p.cost, priority: 1, is_active: p.active ? 1 : 0, created_at: now, updated_at: now });
          productById.set(productId, { id: productId, code, category_id: categoryId });
          report.created.push({ code, sku: p.sku, name: p.name, cost: p.cost });
          created.add(productId);
          affected.add(productId);
        }
        newKnown.push({ supplier_id: supplierId, sku: p.sku, name: p.name, brand: p.brand, category: p.category ?? null, cost: p.cost, is_active: p.active ? 1 : 0, product_id: productId, seen_at: now, updated_at: now });
        continue;
      }
      const code = before.product_id ? codeOf(before.product_id) : p.sku;
      const active = p.active ? 1 : 0;
      if (before.cost !== p.cost) {
        report.costChanged.push({ code, sku: p.sku, from: before.cost, to: p.cost });
        await setRoutes(p.sku, { cost: p.cost });
      }
      if (before.is_active === 1 && active === 0) {
        report.deactivated.push({ code, sku: p.sku, why: 'inactive' });
        await setRoutes(p.sku, { is_active: 0 });
      } else if (before.is_active === 0 && active === 1) {
        report.reactivated.push({ code, sku: p.sku });
        await setRoutes(p.sku, { is_active: 1 });
      }
      if (before.cost !== p.cost || before.is_active !== active || before.name !== p.name || before.brand !== p.brand || before.category !== (p.category ?? null)) {
        await trx
          .updateTable('supplier_products')
          .set({ name: p.name, brand: p.brand, category: p.category ?? null, cost: p.cost, is_active: active, updated_at: now })
          .where('supplier_id', '=', supplierId)
          .where('sku', '=', p.sku)
          .execute();
        report.writes += 1;
      }
    }

    // Gone from the supplier's list: only this supplier's route stops; the product stays.
    for (const k of known) {
      if (pulled.has(k.sku) || k.is_active === 0) continue;
      report.deactivated.push({ code: k.product_id ? codeOf(k.product_id) : k.sku, sku: k.sku, why: 'gone' });
      await setRoutes(k.sku, { is_active: 0 });
      await trx.updateTable('supplier_products').set({ is_active: 0, updated_at: now }).where('supplier_id', '=', supplierId).where('sku', '=', k.sku).execute();
      report.writes += 1;
    }

    // Brand forms the supplier changed: its category follows, unless the operator set its own.
    for (const p of ordered) {
      const b = brands.get(p.brand);
      const form = p.form ? JSON.stringify(p.form) : null;
      if (!b || form === null || b.form === form) continue;
      const category = categoryById.get(b.category_id);
      if (category && (category.form === null || category.form === b.form)) {
        await trx.updateTable('categories').set({ form, is_server: p.form!.length > 1 ? 1 : 0, updated_at: now }).where('id', '=', b.category_id).execute();
        category.form = form;
        report.formsUpdated.push(category.code);
        report.writes += 1;
      }
      await trx.updateTable('supplier_brands').set({ form }).where('supplier_id', '=', supplierId).where('brand', '=', p.brand).execute();
      b.form = form;
      report.writes += 1;
    }

    for (const [table, rows] of [['products', newProducts], ['supplier_products', newKnown], ['product_routes', newRoutes]] as const) {
      for (let i = 0; i < rows.length; i += BATCH) {
        await trx.insertInto(table).values(rows.slice(i, i + BATCH) as never).execute();
        report.writes += Math.min(BATCH, rows.length - i);
      }
    }
    progress({ phase: 'apply', done: ordered.length, total: ordered.length });

    const plan = await this.d.pricing.repriceIn(trx, [...affected]);
    report.repriced = plan.changes;
    report.belowCost = plan.belowCost;
    report.writes += plan.changes.length;
    if (created.size > 0) {
      const priced = new Set<string>();
      const ids = [...created];
      for (let i = 0; i < ids.length; i += 500) {
        for (const r of await trx.selectFrom('product_prices').select('product_id').where('product_id', 'in', ids.slice(i, i + 500)).execute()) priced.add(r.product_id);
      }
      report.unpriced = ids.filter((id) => !priced.has(id)).map(codeOf);
    }
    return report;
  }
}

function titleKey(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** A supplier product kios can route to: a usable sku, a whole non-negative cost, a brand, a valid form. */
function usable(p: SupplierProduct): boolean {
  if (typeof p.sku !== 'string' || !/^[^\s\u0000-\u001f]{1,100}$/.test(p.sku)) return false;
  if (!Number.isSafeInteger(p.cost) || p.cost < 0) return false;
  if (typeof p.brand !== 'string' || p.brand.trim() === '') return false;
  if (p.form != null && !inputFormSchema.safeParse(p.form).success) p.form = null;
  return true;
}
