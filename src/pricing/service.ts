import type { Db, Queryable } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { OperatorError } from '../resellers/service.js';
import { describeMarkup } from './markup.js';
import { applyPlan, planPrices, type PricePlan } from './reprice.js';

export interface RuleInput {
  tier: string;
  percentBp: number;
  fixed: number;
  roundStep: number;
  /** Category code: the rule covers that category's products. */
  category?: string;
  /** Product code: the rule covers that product only. */
  product?: string;
}

export interface RuleView {
  id: string;
  tier: string;
  scope: 'all' | 'category' | 'product';
  /** The category or product code the rule covers, null for every product. */
  target: string | null;
  percentBp: number;
  fixed: number;
  roundStep: number;
  description: string;
}

/**
 * Markup rules (`kios price rule ...`) and the repricing they drive. One rule per tier and scope:
 * adding a rule for a scope that has one replaces it (safe to run twice). Rules take effect when
 * applied (`kios price apply`, after `kios price preview`) and, for the products concerned,
 * whenever their cost changes (catalog sync, `kios route add`).
 */
export class Pricing {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  async addRule(input: RuleInput): Promise<RuleView> {
    if (input.category !== undefined && input.product !== undefined) throw new OperatorError('give --category or --product, not both');
    if (!Number.isSafeInteger(input.roundStep) || input.roundStep < 1) throw new OperatorError('round must be a whole number of rupiah, 1 or more');
    if (!Number.isSafeInteger(input.fixed) || Math.abs(input.fixed) > 1_000_000_000) throw new OperatorError('fixed must be a whole number of rupiah, -1000000000 to 1000000000');
    // Whole basis points in the range percentToBp gives (-100% to 10000%): a fractional one would
    // be stored (SQLite) and then break every reprice (BigInt of a fraction throws).
    if (!Number.isSafeInteger(input.percentBp) || input.percentBp < -10_000 || input.percentBp > 1_000_000) throw new OperatorError('percent must be -100 to 10000, with at most two decimals');
    const k = this.d.db.kysely;
    const tier = await k.selectFrom('roles').select('code').where('code', '=', input.tier).executeTakeFirst();
    if (!tier) throw new OperatorError(`no tier "${input.tier}" (tiers: ${(await k.selectFrom('roles').select('code').orderBy('sort_order').execute()).map((r) => r.code).join(', ')})`);
    let categoryId: string | null = null;
    let productId: string | null = null;
    if (input.category !== undefined) {
      const c = await k.selectFrom('categories').select('id').where('code', '=', input.category).executeTakeFirst();
      if (!c) throw new OperatorError(`no category with code "${input.category}"`);
      categoryId = c.id;
    }
    if (input.product !== undefined) {
      const p = await k.selectFrom('products').select('id').where('code', '=', input.product).executeTakeFirst();
      if (!p) throw new OperatorError(`no product with code "${input.product}"`);
      productId = p.id;
    }
    const scopeKey = productId ? `product:${productId}` : categoryId ? `category:${categoryId}` : 'all';
    const values = { percent_bp: input.percentBp, fixed: input.fixed, round_step: input.roundStep };
    await k
      .insertInto('price_rules')
      .values({ id: newId('pr'), role_code: input.tier, category_id: categoryId, product_id: productId, scope_key: scopeKey, ...values, created_at: this.d.clock() })
      .onConflict((oc) => oc.columns(['role_code', 'scope_key']).doUpdateSet(values))
      .execute();
    // By scope, not by code alone: a product and a category may share a code.
    const scope = productId ? 'product' : categoryId ? 'category' : 'all';
    const rules = await this.listRules();
    return rules.find((r) => r.tier === input.tier && r.scope === scope && r.target === (input.product ?? input.category ?? null))!;
  }

  async listRules(): Promise<RuleView[]> {
    const rows = await this.d.db.kysely
      .selectFrom('price_rules as r')
      .leftJoin('categories as c', 'c.id', 'r.category_id')
      .leftJoin('products as p', 'p.id', 'r.product_id')
      .leftJoin('roles as t', 't.code', 'r.role_code')
      .select(['r.id', 'r.role_code', 'r.percent_bp', 'r.fixed', 'r.round_step', 'c.code as category_code', 'p.code as product_code', 't.sort_order'])
      .orderBy('t.sort_order')
      .orderBy('r.scope_key')
      .execute();
    return rows.map((r) => {
      const m = { percentBp: r.percent_bp, fixed: r.fixed, roundStep: r.round_step };
      return {
        id: r.id,
        tier: r.role_code,
        scope: r.product_code ? 'product' : r.category_code ? 'category' : 'all',
        target: r.product_code ?? r.category_code ?? null,
        ...m,
        description: describeMarkup(m),
      };
    });
  }

  /** Removes a rule; prices it set stay as they are (hand-set from now on). */
  async removeRule(id: string): Promise<void> {
    const r = await this.d.db.kysely.deleteFrom('price_rules').where('id', '=', id).executeTakeFirst();
    if (r.numDeletedRows === 0n) throw new OperatorError(`no price rule "${id}" (see: kios price rule list)`);
  }

  /** What applying the rules would change now; writes nothing. */
  preview(): Promise<PricePlan> {
    return planPrices(this.d.db.kysely, null);
  }

  /** Applies the rules to every product, in one transaction. */
  async apply(): Promise<PricePlan> {
    return this.d.db.transaction(async (trx) => {
      const plan = await planPrices(trx, null);
      await applyPlan(trx, plan);
      return plan;
    });
  }

  /** Reprices some products inside the caller's transaction (their cost just changed). */
  async repriceIn(k: Queryable, productIds: readonly string[]): Promise<PricePlan> {
    const plan = await planPrices(k, productIds);
    await applyPlan(k, plan);
    return plan;
  }
}
