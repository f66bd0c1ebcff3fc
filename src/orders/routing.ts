import type { Queryable } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { Route } from './attempts.js';

/**
 * The route the next attempt of an order uses: the first active route (active supplier account
 * too), in priority order, that this order has not tried yet. Read at the moment of each attempt,
 * so a route the operator adds, reorders or switches off mid-flight is honoured; a route already
 * tried is never tried again (its supplier refused explicitly).
 */
export async function nextRoute(db: Queryable, productId: string, tried: readonly { supplier_id: string; sku: string }[]): Promise<(Route & { supplierVersion: number }) | null> {
  const routes = await activeRoutes.all(db, { productId });
  const route = routes.find((r) => !tried.some((t) => t.supplier_id === r.supplier_id && t.sku === r.sku));
  return route ? { supplierId: route.supplier_id, sku: route.sku, cost: route.cost, supplierVersion: route.updated_at } : null;
}

const activeRoutes = prepared((q, a: { productId: string }) =>
  q
    .selectFrom('product_routes as r')
    .innerJoin('suppliers as s', 's.id', 'r.supplier_id')
    .select(['r.supplier_id', 'r.sku', 'r.cost', 's.updated_at'])
    .where('r.product_id', '=', a.productId)
    .where('r.is_active', '=', 1)
    .where('s.is_active', '=', 1)
    .orderBy('r.priority')
    .orderBy('r.id'),
);
