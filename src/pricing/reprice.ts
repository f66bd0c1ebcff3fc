import type { Queryable } from '../db/index.js';
import { describeMarkup, markedUp, type Markup } from './markup.js';

/**
 * Selling prices from markup rules. For each product and tier the most specific rule applies
 * (the product's own, else its category's, else the tier's rule for every product) to the cost
 * of the route that will serve the next order: the first active route of an active supplier.
 * A tier with no applicable rule keeps its hand-set price. Guard rail: a price is never set below
 * that route's cost; such a change is left out and reported.
 */

export interface PriceChange {
  productId: string;
  productCode: string;
  tier: string;
  /** The current price; null when the product is not sold to the tier yet. */
  from: number | null;
  to: number;
  cost: number;
  rule: string;
}

export interface BelowCost {
  productCode: string;
  tier: string;
  /** The price the rule gives (not written) or the hand-set price (kept). */
  price: number;
  cost: number;
  why: 'rule' | 'hand-set';
}

export interface PricePlan {
  changes: PriceChange[];
  belowCost: BelowCost[];
  /** Products with rules but no known cost on their first route: nothing to compute from. */
  noCost: string[];
}

interface RuleRow {
  role_code: string;
  category_id: string | null;
  product_id: string | null;
  percent_bp: number;
  fixed: number;
  round_step: number;
}

/** What a reprice looks at: some products, or every product (`null`). */
export async function planPrices(k: Queryable, productIds: readonly string[] | null): Promise<PricePlan> {
  const plan: PricePlan = { changes: [], belowCost: [], noCost: [] };
  if (productIds !== null && productIds.length === 0) return plan;
  // In tier order (then code), so plans and reports list tiers the same way on every dialect.
  const rules = (await k
    .selectFrom('price_rules as r')
    .innerJoin('roles as t', 't.code', 'r.role_code')
    .select(['r.role_code', 'r.category_id', 'r.product_id', 'r.percent_bp', 'r.fixed', 'r.round_step'])
    .orderBy('t.sort_order')
    .orderBy('r.role_code')
    .execute()) as RuleRow[];

  const products = [];
  for (const ids of chunks(productIds)) {
    let q = k.selectFrom('products').select(['id', 'code', 'category_id']).orderBy('code');
    if (ids) q = q.where('id', 'in', ids);
    products.push(...(await q.execute()));
  }
  if (products.length === 0) return plan;
  const costs = await firstRouteCosts(k, productIds);
  // Each product's prices by tier, in tier order: looked up per product, never scanned whole
  // (a full reprice of a large catalog must stay linear).
  const prices = new Map<string, Map<string, number>>();
  for (const ids of chunks(productIds)) {
    let q = k
      .selectFrom('product_prices as pp')
      .innerJoin('roles as t', 't.code', 'pp.role_code')
      .select(['pp.product_id', 'pp.role_code', 'pp.price'])
      .orderBy('pp.product_id')
      .orderBy('t.sort_order')
      .orderBy('pp.role_code');
    if (ids) q = q.where('pp.product_id', 'in', ids);
    for (const p of await q.execute()) {
      let byTier = prices.get(p.product_id);
      if (!byTier) prices.set(p.product_id, (byTier = new Map()));
      byTier.set(p.role_code, p.price);
    }
  }
  const tiers = [...new Set(rules.map((r) => r.role_code))];
  const index = indexRules(rules);

  for (const p of products) {
    const cost = costs.get(p.id);
    const own = prices.get(p.id) ?? new Map<string, number>();
    let ruled = false;
    for (const tier of tiers) {
      const rule = mostSpecific(index, tier, p.id, p.category_id);
      const current = own.get(tier) ?? null;
      if (!rule) continue;
      ruled = true;
      if (cost === undefined) continue;
      const m: Markup = { percentBp: rule.percent_bp, fixed: rule.fixed, roundStep: rule.round_step };
      const to = markedUp(cost, m);
      if (to < cost) {
        plan.belowCost.push({ productCode: p.code, tier, price: to, cost, why: 'rule' });
        continue;
      }
      if (to !== current) plan.changes.push({ productId: p.id, productCode: p.code, tier, from: current, to, cost, rule: `${scopeOf(rule)}: ${describeMarkup(m)}` });
    }
    if (ruled && cost === undefined) plan.noCost.push(p.code);
    // Hand-set prices the current cost has overtaken: kept (the operator chose them), reported.
    if (cost !== undefined) {
      for (const [tier, price] of own) {
        if (price >= cost || mostSpecific(index, tier, p.id, p.category_id)) continue;
        plan.belowCost.push({ productCode: p.code, tier, price, cost, why: 'hand-set' });
      }
    }
  }
  return plan;
}

/** Writes a plan's changes (inside the caller's transaction). */
export async function applyPlan(k: Queryable, plan: PricePlan): Promise<number> {
  for (const c of plan.changes) {
    await k
      .insertInto('product_prices')
      .values({ product_id: c.productId, role_code: c.tier, price: c.to })
      .onConflict((oc) => oc.columns(['product_id', 'role_code']).doUpdateSet({ price: c.to }))
      .execute();
  }
  return plan.changes.length;
}

/** The cost of each product's first active route (active supplier), where it is known. */
async function firstRouteCosts(k: Queryable, productIds: readonly string[] | null): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const ids of chunks(productIds)) {
    let q = k
      .selectFrom('product_routes as r')
      .innerJoin('suppliers as s', 's.id', 'r.supplier_id')
      .select(['r.product_id', 'r.cost'])
      .where('r.is_active', '=', 1)
      .where('s.is_active', '=', 1)
      .orderBy('r.product_id')
      .orderBy('r.priority')
      .orderBy('r.id');
    if (ids) q = q.where('r.product_id', 'in', ids);
    const seen = new Set<string>();
    for (const r of await q.execute()) {
      if (seen.has(r.product_id)) continue;
      seen.add(r.product_id);
      if (r.cost !== null) out.set(r.product_id, r.cost);
    }
  }
  return out;
}

/** Rules by tier and scope, so finding a product's rule is a few lookups, not a scan of every rule. */
type RuleIndex = Map<string, RuleRow>;

function indexRules(rules: RuleRow[]): RuleIndex {
  const index: RuleIndex = new Map();
  for (const r of rules) {
    const key = r.product_id !== null ? `${r.role_code}|p|${r.product_id}` : r.category_id !== null ? `${r.role_code}|c|${r.category_id}` : `${r.role_code}|all`;
    if (!index.has(key)) index.set(key, r);
  }
  return index;
}

function mostSpecific(rules: RuleIndex, tier: string, productId: string, categoryId: string): RuleRow | undefined {
  return rules.get(`${tier}|p|${productId}`) ?? rules.get(`${tier}|c|${categoryId}`) ?? rules.get(`${tier}|all`);
}

function scopeOf(r: RuleRow): string {
  return r.product_id ? `${r.role_code} product rule` : r.category_id ? `${r.role_code} category rule` : `${r.role_code} rule`;
}

/** `IN` lists stay well under SQLite's and PostgreSQL's parameter limits. */
function chunks(ids: readonly string[] | null): (readonly string[] | null)[] {
  if (ids === null) return [null];
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(ids.slice(i, i + 500));
  return out;
}
