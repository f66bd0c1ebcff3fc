import type { Transaction } from 'kysely';
import { flag, type Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { assertRupiah } from '../domain/money.js';
import { OperatorError } from '../resellers/service.js';
import type { Pricing } from '../pricing/service.js';
import type { PricePlan } from '../pricing/reprice.js';

export interface RouteView {
  productCode: string;
  productName: string;
  priority: number;
  supplier: string;
  supplierKind: string;
  supplierActive: boolean;
  sku: string;
  cost: number | null;
  active: boolean;
  /** Selling price minus cost per tier; null where the cost or the tier price is unknown. */
  margins: Record<string, number | null>;
}

/**
 * A product's routes: the supplier accounts (and their SKUs) it is bought from, in priority
 * order, each with its cost price. Priorities are positions 1..n, renumbered on every change,
 * so "priority 1" always means "tried first". Adding a route that exists updates it instead
 * (safe to run twice).
 */
export class RouteService {
  constructor(private readonly d: { db: Db; pricing: Pricing; clock: Clock }) {}

  /**
   * Adds (or updates) the route; `priority` 1 puts it first, none appends it last. The product's
   * cost may have changed, so its markup rules (if any) reprice it in the same transaction.
   */
  async add(productCode: string, supplier: string, sku: string, o: { cost: number; priority?: number }): Promise<RouteView & { repriced: PricePlan }> {
    const cleanSku = sku.trim();
    if (!/^[^\s\u0000-\u001f]{1,100}$/.test(cleanSku)) throw new OperatorError('sku: 1 to 100 characters, no spaces');
    const cost = assertRupiahOr(o.cost, 'cost');
    if (o.priority !== undefined && (!Number.isSafeInteger(o.priority) || o.priority < 1)) throw new OperatorError('priority must be 1 or more');
    const repriced = await this.d.db.transaction(async (trx) => {
      const productId = await productIdOf(trx, productCode);
      const s = await trx.selectFrom('suppliers').select('id').where('id', '=', supplier).executeTakeFirst();
      if (!s) throw new OperatorError(`no supplier named "${supplier}" (see: kios supplier list)`);
      const now = this.d.clock();
      const routes = await ordered(trx, productId);
      const existing = routes.find((r) => r.supplier_id === supplier && r.sku === cleanSku);
      let id = existing?.id;
      if (existing) {
        await trx.updateTable('product_routes').set({ cost, updated_at: now }).where('id', '=', existing.id).execute();
      } else {
        id = newId('rt');
        await trx
          .insertInto('product_routes')
          .values({ id, product_id: productId, supplier_id: supplier, sku: cleanSku, cost, priority: routes.length + 1, is_active: 1, created_at: now, updated_at: now })
          .execute();
      }
      const order = routes.map((r) => r.id).filter((x) => x !== id);
      const at = o.priority === undefined ? (existing ? routes.indexOf(existing) : order.length) : Math.min(o.priority - 1, order.length);
      order.splice(at, 0, id!);
      await renumber(trx, order, now);
      return this.d.pricing.repriceIn(trx, [productId]);
    });
    return { ...(await this.list(productCode)).find((r) => r.supplier === supplier && r.sku === cleanSku)!, repriced };
  }

  /**
   * Removes the product's routes through `supplier` (only the one with `sku`, when given). Which
   * route serves the product next (and so its cost) may change: its markup rules reprice it.
   */
  async remove(productCode: string, supplier: string, sku?: string): Promise<number> {
    return this.d.db.transaction(async (trx) => {
      const productId = await productIdOf(trx, productCode);
      const matching = (await ordered(trx, productId)).filter((r) => r.supplier_id === supplier && (sku === undefined || r.sku === sku));
      if (matching.length === 0) throw new OperatorError(`${productCode} has no route through ${supplier}${sku ? ` with sku ${sku}` : ''}`);
      await trx.deleteFrom('product_routes').where('id', 'in', matching.map((r) => r.id)).execute();
      await renumber(trx, (await ordered(trx, productId)).map((r) => r.id), this.d.clock());
      await this.d.pricing.repriceIn(trx, [productId]);
      return matching.length;
    });
  }

  async setActive(productCode: string, supplier: string, sku: string | undefined, active: boolean): Promise<number> {
    return this.d.db.transaction(async (trx) => {
      const productId = await productIdOf(trx, productCode);
      const matching = (await ordered(trx, productId)).filter((r) => r.supplier_id === supplier && (sku === undefined || r.sku === sku));
      if (matching.length === 0) throw new OperatorError(`${productCode} has no route through ${supplier}${sku ? ` with sku ${sku}` : ''}`);
      await trx
        .updateTable('product_routes')
        .set({ is_active: flag(active), updated_at: this.d.clock() })
        .where('id', 'in', matching.map((r) => r.id))
        .execute();
      await this.d.pricing.repriceIn(trx, [productId]);
      return matching.length;
    });
  }

  /** Routes of one product, or of every product, in priority order, with margins per tier. */
  async list(productCode?: string): Promise<RouteView[]> {
    const k = this.d.db.kysely;
    if (productCode !== undefined) await productIdOf(k, productCode);
    let q = k
      .selectFrom('product_routes as r')
      .innerJoin('products as p', 'p.id', 'r.product_id')
      .innerJoin('suppliers as s', 's.id', 'r.supplier_id')
      .select(['p.id as product_id', 'p.code', 'p.name', 'r.priority', 'r.supplier_id', 's.kind', 's.is_active as supplier_active', 'r.sku', 'r.cost', 'r.is_active'])
      .orderBy('p.code')
      .orderBy('r.priority')
      .orderBy('r.id');
    if (productCode !== undefined) q = q.where('p.code', '=', productCode);
    const rows = await q.execute();
    const productIds = [...new Set(rows.map((r) => r.product_id))];
    const [prices, tiers] = await Promise.all([
      productIds.length ? k.selectFrom('product_prices').selectAll().where('product_id', 'in', productIds).execute() : Promise.resolve([]),
      k.selectFrom('roles').select('code').orderBy('sort_order').orderBy('code').execute(),
    ]);
    return rows.map((r) => ({
      productCode: r.code,
      productName: r.name,
      priority: r.priority,
      supplier: r.supplier_id,
      supplierKind: r.kind,
      supplierActive: r.supplier_active === 1,
      sku: r.sku,
      cost: r.cost,
      active: r.is_active === 1,
      margins: Object.fromEntries(
        tiers.flatMap((t) => {
          const price = prices.find((p) => p.product_id === r.product_id && p.role_code === t.code)?.price;
          return price === undefined ? [] : [[t.code, r.cost === null ? null : price - r.cost]];
        }),
      ),
    }));
  }
}

async function productIdOf(k: Transaction<Database> | Db['kysely'], productCode: string): Promise<string> {
  const p = await k.selectFrom('products').select('id').where('code', '=', productCode).executeTakeFirst();
  if (!p) throw new OperatorError(`no product with code "${productCode}"`);
  return p.id;
}

function ordered(trx: Transaction<Database>, productId: string) {
  return trx.selectFrom('product_routes').select(['id', 'supplier_id', 'sku']).where('product_id', '=', productId).orderBy('priority').orderBy('id').execute();
}

async function renumber(trx: Transaction<Database>, ids: string[], now: number): Promise<void> {
  for (const [i, id] of ids.entries()) await trx.updateTable('product_routes').set({ priority: i + 1, updated_at: now }).where('id', '=', id).execute();
}

function assertRupiahOr(n: number, what: string): number {
  try {
    return assertRupiah(n, what);
  } catch (err) {
    throw new OperatorError((err as Error).message);
  }
}
