import { batchedRead, groupBy } from '../db/batched-read.js';
import type { Queryable } from '../db/index.js';
import type { Route } from './attempts.js';

export type NextRoute = Route & { supplierVersion: number };

/**
 * The route the next attempt of an order uses: the first active route (active supplier account
 * too), in priority order, that this order has not tried yet. Read at the moment of each attempt,
 * so a route the operator adds, reorders or switches off mid-flight is honoured; a route already
 * tried is never tried again (its supplier refused explicitly). The reads of concurrent jobs go
 * together (`batchedRead`).
 */
export class RoutePicker {
  readonly #active: (productId: string) => Promise<ActiveRoute[]>;

  constructor(db: Queryable) {
    this.#active = batchedRead(async (productIds: string[]) => groupBy(await activeRoutes(db, productIds), (r) => r.product_id), []);
  }

  async next(productId: string, tried: readonly { supplier_id: string; sku: string }[]): Promise<NextRoute | null> {
    const routes = await this.#active(productId);
    const route = routes.find((r) => !tried.some((t) => t.supplier_id === r.supplier_id && t.sku === r.sku));
    return route ? { supplierId: route.supplier_id, sku: route.sku, cost: route.cost, supplierVersion: route.updated_at } : null;
  }
}

type ActiveRoute = Awaited<ReturnType<typeof activeRoutes>>[number];

function activeRoutes(db: Queryable, productIds: string[]) {
  return db
    .selectFrom('product_routes as r')
    .innerJoin('suppliers as s', 's.id', 'r.supplier_id')
    .select(['r.product_id', 'r.supplier_id', 'r.sku', 'r.cost', 's.updated_at'])
    .where('r.product_id', 'in', productIds)
    .where('r.is_active', '=', 1)
    .where('s.is_active', '=', 1)
    .orderBy('r.priority')
    .orderBy('r.id')
    .execute();
}
