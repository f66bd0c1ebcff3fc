import { sql } from 'kysely';
import { flag, type Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { MAX_RUPIAH } from '../domain/money.js';
import { OperatorError, type Within } from '../resellers/service.js';

export interface ProductRow {
  id: string;
  code: string;
  name: string;
  active: boolean;
  categoryId: string;
  categoryCode: string;
  categoryTitle: string;
  /** Selling price per tier code; a tier missing here cannot buy the product. */
  prices: Record<string, number>;
}

/**
 * Products one at a time, as the operator's dashboard (and `kios price set`, `kios product
 * enable|disable`) changes them: a hand-set price for one tier, and switching a product off or
 * on. A hand-set price stays until a markup rule covering the product reprices it (README,
 * "Prices"); a product switched off is listed to resellers as inactive and refused at order
 * intake (PRODUCT_INACTIVE), exactly as one imported inactive.
 */
export class ProductAdmin {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  /** Keyset-paged by product code; `q` matches part of the code or name, `category` a category id. */
  async list(f: { q?: string; code?: string; category?: string; cursor?: string; limit?: number } = {}): Promise<{ items: ProductRow[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 500);
    let q = this.d.db.kysely
      .selectFrom('products as p')
      .innerJoin('categories as c', 'c.id', 'p.category_id')
      .select(['p.id', 'p.code', 'p.name', 'p.is_active', 'c.id as category_id', 'c.code as category_code', 'c.title as category_title'])
      .orderBy('p.code')
      .limit(limit + 1);
    const term = f.q?.trim().toLowerCase();
    if (term) {
      const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or([sql<boolean>`lower(p.code) like ${like} escape '\\'`, sql<boolean>`lower(p.name) like ${like} escape '\\'`]));
    }
    if (f.code !== undefined) q = q.where('p.code', '=', f.code);
    if (f.category) q = q.where('p.category_id', '=', f.category);
    if (f.cursor) q = q.where('p.code', '>', Buffer.from(f.cursor, 'base64url').toString('utf8'));
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const prices = page.length ? await this.d.db.kysely.selectFrom('product_prices').selectAll().where('product_id', 'in', page.map((r) => r.id)).execute() : [];
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        code: r.code,
        name: r.name,
        active: r.is_active === 1,
        categoryId: r.category_id,
        categoryCode: r.category_code,
        categoryTitle: r.category_title,
        prices: Object.fromEntries(prices.filter((x) => x.product_id === r.id).map((x) => [x.role_code, x.price])),
      })),
      nextCursor: rows.length > limit && last ? Buffer.from(last.code).toString('base64url') : null,
    };
  }

  async get(code: string): Promise<ProductRow> {
    const p = (await this.list({ code })).items[0];
    if (!p) throw new OperatorError(`no product with code "${code}"`, 'not_found');
    return p;
  }

  /** Sets (or with null, withdraws) one tier's price of a product. */
  async setPrice(productCode: string, tier: string, price: number | null, within?: Within<{ price: number | null }>): Promise<{ price: number | null }> {
    if (price !== null && (!Number.isSafeInteger(price) || price <= 0 || price > MAX_RUPIAH)) throw new OperatorError('price must be a whole number of rupiah greater than 0');
    return this.d.db.transaction(async (trx) => {
      const p = await trx.selectFrom('products').select('id').where('code', '=', productCode).executeTakeFirst();
      if (!p) throw new OperatorError(`no product with code "${productCode}"`, 'not_found');
      const role = await trx.selectFrom('roles').select('code').where('code', '=', tier).executeTakeFirst();
      if (!role) throw new OperatorError(`unknown tier "${tier}"`);
      const before = await trx.selectFrom('product_prices').select('price').where('product_id', '=', p.id).where('role_code', '=', tier).executeTakeFirst();
      if (price === null) await trx.deleteFrom('product_prices').where('product_id', '=', p.id).where('role_code', '=', tier).execute();
      else {
        await trx
          .insertInto('product_prices')
          .values({ product_id: p.id, role_code: tier, price })
          .onConflict((oc) => oc.columns(['product_id', 'role_code']).doUpdateSet({ price }))
          .execute();
      }
      await trx.updateTable('products').set({ updated_at: this.d.clock() }).where('id', '=', p.id).execute();
      await within?.(trx, { price: before?.price ?? null }, { price });
      return { price };
    });
  }

  async setActive(productCode: string, active: boolean, within?: Within<{ active: boolean }>): Promise<{ active: boolean }> {
    return this.d.db.transaction(async (trx) => {
      const p = await trx.selectFrom('products').select(['id', 'is_active']).where('code', '=', productCode).executeTakeFirst();
      if (!p) throw new OperatorError(`no product with code "${productCode}"`, 'not_found');
      await trx.updateTable('products').set({ is_active: flag(active), updated_at: this.d.clock() }).where('id', '=', p.id).execute();
      await within?.(trx, { active: p.is_active === 1 }, { active });
      return { active };
    });
  }
}
