import type { CatalogService, ProductListItem } from '../catalog/service.js';
import { csvPages } from './csv.js';

export interface PriceFilter {
  /** Part of a product's name or code, any case. */
  q?: string;
  category?: string;
}

/**
 * The price list of the reseller's tier, as the reseller API prices it (`k.catalog.listProducts`:
 * one query, a few thousand rows at most, so it is filtered in memory rather than paged).
 */
export async function listPrices(catalog: CatalogService, tier: string, f: PriceFilter): Promise<{ items: ProductListItem[]; categories: string[] }> {
  const all = await catalog.listProducts(tier);
  const categories = [...new Set(all.map((p) => p.categoryTitle))];
  const needle = f.q?.trim().toLowerCase();
  const items = all.filter((p) => (!f.category || p.categoryTitle === f.category) && (!needle || p.name.toLowerCase().includes(needle) || p.code.toLowerCase().includes(needle)));
  return { items, categories };
}

export const PRICE_CSV_HEADER = ['category', 'code', 'name', 'price', 'active'];

export async function pricesCsv(catalog: CatalogService, tier: string, f: PriceFilter): Promise<AsyncGenerator<string>> {
  const { items } = await listPrices(catalog, tier, f);
  async function* one() {
    yield items;
  }
  return csvPages(PRICE_CSV_HEADER, one(), (p) => [p.categoryTitle, p.code, p.name, p.price, p.active ? 1 : 0]);
}
