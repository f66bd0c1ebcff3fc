import type { Db } from '../db/index.js';
import { readForm, type InputForm } from '../domain/input-form.js';
import type { CatalogFile } from './format.js';

/** The whole catalog in the import format; supplier options are left out (they hold credentials). */
export async function exportCatalog(db: Db): Promise<CatalogFile> {
  const k = db.kysely;
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

function withForm(json: string | null): { form?: InputForm } {
  const form = readForm(json);
  return form ? { form } : {};
}
