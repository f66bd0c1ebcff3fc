import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperatorError } from '../../src/resellers/service.js';
import type { PricePlan } from '../../src/pricing/reprice.js';
import type { RuleInput } from '../../src/pricing/service.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Markup rules through the services (kios.pricing, kios.routes), on every dialect, over the demo
 * catalog. In the demo every product has one simulator route at cost floor(platinum × 0.97) and
 * hand-set prices platinum, gold = ceil(platinum × 1.02), member = ceil(platinum × 1.05); e.g.
 * S4_ML86: cost 18065, platinum 18624, gold 18997, member 19556.
 *
 * Expected prices come from `ref` below (plain integer arithmetic, exact at these sizes) or are
 * written out as literals, never from the code under test.
 */

/** ceil((cost × (1 + bp/10000) + fixed) / step) × step, with every intermediate an exact integer in floating point. */
function ref(cost: number, percentBp: number, fixed = 0, step = 1): number {
  const exact10k = cost * (10_000 + percentBp) + fixed * 10_000;
  return Math.max(0, Math.ceil(exact10k / (step * 10_000)) * step);
}

const rule = (tier: string, percentBp: number, fixed = 0, roundStep = 1, scope: { category?: string; product?: string } = {}): RuleInput => ({ tier, percentBp, fixed, roundStep, ...scope });

describe.each(DIALECTS)('markup rules (%s)', (dialect) => {
  let t: TestKios;
  beforeEach(async () => {
    t = await TestKios.start(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  const k = () => t.kios.db.kysely;
  const pricing = () => t.kios.pricing;

  /** Every product_prices row as `code|tier` -> price. */
  async function prices(): Promise<Map<string, number>> {
    const rows = await k()
      .selectFrom('product_prices as pp')
      .innerJoin('products as p', 'p.id', 'pp.product_id')
      .select(['p.code', 'pp.role_code', 'pp.price'])
      .orderBy('p.code')
      .orderBy('pp.role_code')
      .execute();
    return new Map(rows.map((r) => [`${r.code}|${r.role_code}`, Number(r.price)]));
  }

  /** The price_rules table, row by row. */
  async function ruleRows() {
    return k().selectFrom('price_rules').selectAll().orderBy('id').execute();
  }

  /** Product code -> category code. */
  async function categories(): Promise<Map<string, string>> {
    const rows = await k().selectFrom('products as p').innerJoin('categories as c', 'c.id', 'p.category_id').select(['p.code', 'c.code as category']).execute();
    return new Map(rows.map((r) => [r.code, r.category]));
  }

  /** Product code -> the cost of its priority-1 route (the demo has one route per product). */
  async function demoCosts(): Promise<Map<string, number>> {
    const rows = await k().selectFrom('product_routes as r').innerJoin('products as p', 'p.id', 'r.product_id').select(['p.code', 'r.cost']).where('r.priority', '=', 1).execute();
    return new Map(rows.map((r) => [r.code, Number(r.cost)]));
  }

  /** What differs between two price snapshots, as {code, tier, from, to}. */
  function diff(before: Map<string, number>, after: Map<string, number>) {
    const out: { code: string; tier: string; from: number | null; to: number }[] = [];
    for (const [key, to] of after) {
      const from = before.get(key) ?? null;
      if (from === to) continue;
      const [code, tier] = key.split('|') as [string, string];
      out.push({ code, tier, from, to });
    }
    for (const key of before.keys()) if (!after.has(key)) throw new Error(`price ${key} disappeared`);
    return out.sort((a, b) => `${a.code}|${a.tier}`.localeCompare(`${b.code}|${b.tier}`));
  }

  const changesOf = (plan: PricePlan) =>
    plan.changes.map((c) => ({ code: c.productCode, tier: c.tier, from: c.from, to: c.to })).sort((a, b) => `${a.code}|${a.tier}`.localeCompare(`${b.code}|${b.tier}`));

  it('the most specific rule wins: product over category over all; tiers without a rule keep their hand-set prices', async () => {
    await pricing().addRule(rule('gold', 1_000)); // every product: +10%
    await pricing().addRule(rule('gold', 500, 0, 1, { category: 'ML' })); // Mobile Legends: +5%
    await pricing().addRule(rule('gold', 100, 0, 1, { product: 'S4_ML86' })); // one product: +1%
    const before = await prices();
    const costs = await demoCosts();
    const cats = await categories();

    const plan = await pricing().apply();
    const after = await prices();

    // Literal spot checks (costs 18065, 36130, 9122).
    expect(after.get('S4_ML86|gold')).toBe(18_246); // 18065 × 1.01 = 18245.65
    expect(after.get('S4_ML172|gold')).toBe(37_937); // 36130 × 1.05 = 37936.5
    expect(after.get('FF70|gold')).toBe(10_035); // 9122 × 1.10 = 10034.2
    // And every product.
    for (const [code, category] of cats) {
      const bp = code === 'S4_ML86' ? 100 : category === 'ML' ? 500 : 1_000;
      expect(after.get(`${code}|gold`), code).toBe(ref(costs.get(code)!, bp));
      // No member or platinum rule: untouched.
      expect(after.get(`${code}|member`), code).toBe(before.get(`${code}|member`));
      expect(after.get(`${code}|platinum`), code).toBe(before.get(`${code}|platinum`));
    }
    expect(plan.changes.every((c) => c.tier === 'gold')).toBe(true);
    const ruleOf = (code: string) => plan.changes.find((c) => c.productCode === code)!.rule;
    expect(ruleOf('S4_ML86')).toBe('gold product rule: cost +1%, rounded up to 1');
    expect(ruleOf('S4_ML172')).toBe('gold category rule: cost +5%, rounded up to 1');
    expect(ruleOf('FF70')).toBe('gold rule: cost +10%, rounded up to 1');
    expect(plan.changes.find((c) => c.productCode === 'FF70')).toMatchObject({ from: 9_594, to: 10_035, cost: 9_122 });
    expect(plan.belowCost).toEqual([]);
    expect(plan.noCost).toEqual([]);
  });

  it('preview writes nothing; apply writes exactly what preview showed; a second apply changes nothing', async () => {
    await pricing().addRule(rule('gold', 300, 200, 100));
    await pricing().addRule(rule('platinum', 200, 0, 1, { category: 'FF' }));
    // A product not sold to gold yet: the rule gives it a gold price (an insert, from null).
    const nikke = await k().selectFrom('products').select('id').where('code', '=', 'S1_10835').executeTakeFirstOrThrow();
    await k().deleteFrom('product_prices').where('product_id', '=', nikke.id).where('role_code', '=', 'gold').execute();
    const rulesBefore = await ruleRows();
    const before = await prices();

    const preview = await pricing().preview();
    expect(await prices()).toEqual(before);
    expect(await pricing().preview()).toEqual(preview);
    // 11327 × 0.97 = 10987.19 -> cost 10987; × 1.03 + 200 = 11516.61 -> 11600.
    expect(preview.changes.find((c) => c.productCode === 'S1_10835' && c.tier === 'gold')).toMatchObject({ from: null, to: 11_600, cost: 10_987 });
    // FF70: cost 9122 × 1.02 = 9304.44 -> 9305 (was 9405).
    expect(preview.changes.find((c) => c.productCode === 'FF70' && c.tier === 'platinum')).toMatchObject({ from: 9_405, to: 9_305, cost: 9_122 });
    expect(preview.changes.length).toBeGreaterThan(10);

    const applied = await pricing().apply();
    expect(applied).toEqual(preview);
    const after = await prices();
    expect(diff(before, after)).toEqual(changesOf(preview));
    expect(after.get('S1_10835|gold')).toBe(11_600);

    const again = await pricing().apply();
    expect(again.changes).toEqual([]);
    expect(await prices()).toEqual(after);
    expect((await pricing().preview()).changes).toEqual([]);
    expect(await ruleRows()).toEqual(rulesBefore);
  });

  it('route add with a new cost reprices only that product, only the tiers with rules; hand-set tiers below cost are reported', async () => {
    await pricing().addRule(rule('gold', 300, 200, 100));
    await pricing().addRule(rule('member', 500, 0, 1, { category: 'NIKKE' })); // no member rule for S4_ML86
    await pricing().apply();
    const before = await prices();
    expect(before.get('S4_ML86|gold')).toBe(18_900); // 18065 × 1.03 + 200 = 18806.95 -> 18900

    // The existing route costs more now.
    const r = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86', { cost: 20_000 });
    expect(r).toMatchObject({ productCode: 'S4_ML86', priority: 1, cost: 20_000 });
    expect(r.repriced.changes).toEqual([expect.objectContaining({ productCode: 'S4_ML86', tier: 'gold', from: 18_900, to: 20_800, cost: 20_000 })]);
    // In tier order (member, gold, platinum), on every dialect.
    expect(r.repriced.belowCost).toEqual([
      { productCode: 'S4_ML86', tier: 'member', price: 19_556, cost: 20_000, why: 'hand-set' },
      { productCode: 'S4_ML86', tier: 'platinum', price: 18_624, cost: 20_000, why: 'hand-set' },
    ]);
    expect(r.repriced.noCost).toEqual([]);
    const after = await prices();
    expect(diff(before, after)).toEqual([{ code: 'S4_ML86', tier: 'gold', from: 18_900, to: 20_800 }]);

    // A second route, tried after the first: the first route's cost still decides.
    const second = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86-ALT', { cost: 30_000 });
    expect(second.priority).toBe(2);
    expect(second.repriced.changes).toEqual([]);
    expect(await prices()).toEqual(after);

    // A cheaper route put first: the price follows the cost down too; hand-set tiers are above cost again.
    const cheap = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86-CHEAP', { cost: 15_000, priority: 1 });
    expect(cheap.repriced.changes).toEqual([expect.objectContaining({ productCode: 'S4_ML86', tier: 'gold', from: 20_800, to: 15_700, cost: 15_000 })]);
    expect(cheap.repriced.belowCost).toEqual([]);
    expect(diff(after, await prices())).toEqual([{ code: 'S4_ML86', tier: 'gold', from: 20_800, to: 15_700 }]);

    // The same route added again (same cost): nothing to change.
    const same = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86-CHEAP', { cost: 15_000 });
    expect(same.repriced.changes).toEqual([]);
    expect(same.priority).toBe(1);
  });

  it('plans list a product\'s tiers in tier order, whatever order the rules were added or replaced in', async () => {
    await pricing().addRule(rule('platinum', 100, 0, 1, { product: 'S4_ML86' }));
    await pricing().addRule(rule('gold', 200, 0, 1, { product: 'S4_ML86' }));
    await pricing().addRule(rule('member', 300, 0, 1, { product: 'S4_ML86' }));
    // Replacing a rule rewrites its row (on PostgreSQL the row moves to the end of the table).
    await pricing().addRule(rule('platinum', 150, 0, 1, { product: 'S4_ML86' }));
    await pricing().addRule(rule('gold', 250, 0, 1, { product: 'S4_ML86' }));
    const plan = await pricing().preview();
    expect(plan.changes.map((c) => [c.productCode, c.tier, c.to])).toEqual([
      ['S4_ML86', 'member', ref(18_065, 300)],
      ['S4_ML86', 'gold', ref(18_065, 250)],
      ['S4_ML86', 'platinum', ref(18_065, 150)],
    ]);
    // Hand-set tiers below cost, too: with a cost above every price, reported member, gold, platinum.
    for (const r of await pricing().listRules()) await pricing().removeRule(r.id);
    await k().updateTable('product_routes').set({ cost: 30_000 }).where('sku', '=', 'ML86').execute();
    expect((await pricing().preview()).belowCost.map((b) => [b.productCode, b.tier, b.why])).toEqual([
      ['S4_ML86', 'member', 'hand-set'],
      ['S4_ML86', 'gold', 'hand-set'],
      ['S4_ML86', 'platinum', 'hand-set'],
    ]);
  });

  it('reprices more products than one IN list holds (a large sync), each from its own cost', async () => {
    const ff = await k().selectFrom('categories').select('id').where('code', '=', 'FF').executeTakeFirstOrThrow();
    const n = 1_234;
    const ids = Array.from({ length: n }, (_, i) => `prd-bulk-${String(i).padStart(5, '0')}`);
    const cost = (i: number) => 1_000 + i * 7;
    for (let i = 0; i < n; i += 200) {
      const slice = ids.slice(i, i + 200);
      await k()
        .insertInto('products')
        .values(slice.map((id, j) => ({ id, code: `BULK${String(i + j).padStart(5, '0')}`, name: id, logo: null, category_id: ff.id, is_active: 1, sort_order: 100 + i + j, form: null, created_at: 0, updated_at: 0 })))
        .execute();
      await k()
        .insertInto('product_routes')
        .values(slice.map((id, j) => ({ id: `rt-${id}`, product_id: id, supplier_id: 'simulator', sku: `SKU${i + j}`, cost: cost(i + j), priority: 1, is_active: 1, created_at: 0, updated_at: 0 })))
        .execute();
      // Hand-set prices: gold below cost (to be repriced), platinum below cost (kept, reported).
      await k()
        .insertInto('product_prices')
        .values(slice.flatMap((id, j) => [
          { product_id: id, role_code: 'gold', price: cost(i + j) - 1 },
          { product_id: id, role_code: 'platinum', price: cost(i + j) - 2 },
        ]))
        .execute();
    }
    await pricing().addRule(rule('gold', 300, 200, 100, { category: 'FF' }));

    const plan = await t.kios.db.transaction((trx) => pricing().repriceIn(trx, ids));
    expect(plan.changes).toHaveLength(n);
    expect(plan.belowCost).toHaveLength(n);
    expect(plan.belowCost.every((b) => b.tier === 'platinum' && b.why === 'hand-set' && b.price === b.cost - 2)).toBe(true);
    const after = await prices();
    for (let i = 0; i < n; i++) {
      const code = `BULK${String(i).padStart(5, '0')}`;
      expect(after.get(`${code}|gold`), code).toBe(ref(cost(i), 300, 200, 100));
      expect(after.get(`${code}|platinum`), code).toBe(cost(i) - 2);
    }
    // The demo's FF products were not in the list: untouched.
    expect(after.get('FF70|gold')).toBe(9_594);
  });

  it('guard rail: a rule that would price below cost leaves the price and reports it (also through route add)', async () => {
    await pricing().addRule(rule('gold', -500, 0, 1, { product: 'S4_ML86' })); // 18065 × 0.95 = 17161.75 -> 17162 < 18065
    await pricing().addRule(rule('gold', 0, -1, 1, { product: 'FF70' })); // 9121 < 9122
    await pricing().addRule(rule('gold', 0, 0, 1, { product: 'FF140' })); // exactly the cost: allowed
    await pricing().addRule(rule('gold', -1, 0, 100, { product: 'GI60' })); // 12513 × 0.9999 = 12511.75 -> up to 12600: allowed
    await pricing().addRule(rule('platinum', -10_000, -500, 1)); // -100% and then some: 0 for everything
    const before = await prices();

    const preview = await pricing().preview();
    expect(preview.belowCost).toEqual(
      expect.arrayContaining([
        { productCode: 'S4_ML86', tier: 'gold', price: 17_162, cost: 18_065, why: 'rule' },
        { productCode: 'FF70', tier: 'gold', price: 9_121, cost: 9_122, why: 'rule' },
        { productCode: 'FF70', tier: 'platinum', price: 0, cost: 9_122, why: 'rule' },
      ]),
    );
    // Every platinum price would be below cost; nothing is reported as hand-set (every tier has a rule here for these).
    expect(preview.belowCost.filter((b) => b.tier === 'platinum')).toHaveLength(before.size / 3);
    expect(changesOf(preview)).toEqual([
      { code: 'FF140', tier: 'gold', from: 19_187, to: 18_245 },
      { code: 'GI60', tier: 'gold', from: 13_158, to: 12_600 },
    ]);

    const applied = await pricing().apply();
    expect(applied).toEqual(preview);
    const after = await prices();
    expect(after.get('S4_ML86|gold')).toBe(18_997);
    expect(after.get('FF70|gold')).toBe(9_594);
    expect(after.get('FF140|gold')).toBe(18_245);
    expect(diff(before, after)).toEqual(changesOf(preview));

    // Through route add: the cost rises past what the rule gives; the old price stays, reported.
    const r = await t.kios.routes.add('FF70', 'simulator', 'FF70', { cost: 9_500 });
    expect(r.repriced.changes).toEqual([]);
    expect(r.repriced.belowCost).toEqual(expect.arrayContaining([{ productCode: 'FF70', tier: 'gold', price: 9_499, cost: 9_500, why: 'rule' }]));
    expect(await prices()).toEqual(after);

    // Whatever was written, nothing a rule set is below its first route's cost.
    const costs = await demoCosts();
    for (const c of [...applied.changes, ...r.repriced.changes]) expect(c.to, `${c.productCode} ${c.tier}`).toBeGreaterThanOrEqual(costs.get(c.productCode)!);
  });

  it('hand-set prices below cost are reported, never changed', async () => {
    const before = await prices();
    // No rules: a cost above the hand-set gold (18997) and platinum (18624) prices.
    const r = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86', { cost: 19_000 });
    expect(r.repriced.changes).toEqual([]);
    expect(r.repriced.belowCost).toHaveLength(2);
    expect(r.repriced.belowCost).toEqual(
      expect.arrayContaining([
        { productCode: 'S4_ML86', tier: 'gold', price: 18_997, cost: 19_000, why: 'hand-set' },
        { productCode: 'S4_ML86', tier: 'platinum', price: 18_624, cost: 19_000, why: 'hand-set' },
      ]),
    );
    expect(await prices()).toEqual(before);

    const preview = await pricing().preview();
    expect(preview.changes).toEqual([]);
    expect(preview.belowCost).toEqual(r.repriced.belowCost);
    expect((await pricing().apply()).changes).toEqual([]);
    expect(await prices()).toEqual(before);

    // A tier with a rule is the rule's business, not reported as hand-set.
    await pricing().addRule(rule('gold', 300, 0, 1, { product: 'S4_ML86' }));
    const ruled = await pricing().preview();
    expect(ruled.changes).toEqual([expect.objectContaining({ productCode: 'S4_ML86', tier: 'gold', from: 18_997, to: 19_570 })]);
    expect(ruled.belowCost).toEqual([{ productCode: 'S4_ML86', tier: 'platinum', price: 18_624, cost: 19_000, why: 'hand-set' }]);
  });

  it('prices from the first ACTIVE route of an active supplier', async () => {
    const second = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86-B', { cost: 17_000 });
    expect(second.priority).toBe(2);
    await pricing().addRule(rule('gold', 0, 0, 1, { product: 'S4_ML86' }));
    await pricing().apply();
    expect((await prices()).get('S4_ML86|gold')).toBe(18_065);

    // Route 1 switched off: route 2 serves the next order, so its cost prices the product, at once.
    await t.kios.routes.setActive('S4_ML86', 'simulator', 'ML86', false);
    expect((await prices()).get('S4_ML86|gold')).toBe(17_000);
    expect((await pricing().preview()).changes).toEqual([]);

    // A route first in line through a disabled supplier account does not serve either.
    await t.kios.suppliers.add('simulator', 'sim2', {});
    const viaSim2 = await t.kios.routes.add('S4_ML86', 'sim2', 'X86', { cost: 16_000, priority: 1 });
    expect(viaSim2.repriced.changes).toEqual([expect.objectContaining({ tier: 'gold', from: 17_000, to: 16_000, cost: 16_000 })]);
    // Switching the account off reprices what it served first; switching route 1 back on, too.
    await t.kios.suppliers.setActive('sim2', false);
    expect((await prices()).get('S4_ML86|gold')).toBe(17_000);
    await t.kios.routes.setActive('S4_ML86', 'simulator', 'ML86', true);
    expect((await prices()).get('S4_ML86|gold')).toBe(18_065);
    expect((await pricing().preview()).changes).toEqual([]);

    // The serving route's cost unknown: nothing to compute from (not the next route's cost).
    const before = await prices();
    await k()
      .updateTable('product_routes')
      .set({ cost: null })
      .where('sku', '=', 'ML86')
      .where('supplier_id', '=', 'simulator')
      .execute();
    const unknown = await pricing().apply();
    expect(unknown.changes).toEqual([]);
    expect(unknown.noCost).toEqual(['S4_ML86']);
    expect(await prices()).toEqual(before);
  });

  it('adding a rule for a scope that has one replaces it (safe to run twice)', async () => {
    const first = await pricing().addRule(rule('gold', 300, 0, 1, { category: 'ML' }));
    expect(first).toMatchObject({ tier: 'gold', scope: 'category', target: 'ML', percentBp: 300, fixed: 0, roundStep: 1, description: 'cost +3%, rounded up to 1' });
    const again = await pricing().addRule(rule('gold', 300, 0, 1, { category: 'ML' }));
    expect(again).toEqual(first);
    expect(await ruleRows()).toHaveLength(1);

    const changed = await pricing().addRule(rule('gold', 500, 100, 50, { category: 'ML' }));
    expect(changed).toEqual({ ...first, percentBp: 500, fixed: 100, roundStep: 50, description: 'cost +5% +100, rounded up to 50' });
    expect(await pricing().listRules()).toEqual([changed]);
    // 18065 × 1.05 + 100 = 19068.25 -> up to 50 = 19100
    expect((await pricing().preview()).changes.find((c) => c.productCode === 'S4_ML86')).toMatchObject({ tier: 'gold', to: 19_100 });

    // Other scopes and tiers are other rules; listed by tier order, then all / category / product.
    await pricing().addRule(rule('platinum', 100, 0, 1, { category: 'ML' }));
    await pricing().addRule(rule('gold', 200, 0, 1, { product: 'S4_ML86' }));
    await pricing().addRule(rule('gold', 1_000, 0, 1));
    await pricing().addRule(rule('member', 700, 0, 1));
    const list = await pricing().listRules();
    expect(list.map((r) => [r.tier, r.scope, r.target])).toEqual([
      ['member', 'all', null],
      ['gold', 'all', null],
      ['gold', 'category', 'ML'],
      ['gold', 'product', 'S4_ML86'],
      ['platinum', 'category', 'ML'],
    ]);
    expect(new Set(list.map((r) => r.id)).size).toBe(5);
  });

  it('adding a product rule returns that rule even when a category has the same code', async () => {
    // A product whose code is also a category's code (a synced product may well be called "FF").
    const gi = await k().selectFrom('categories').select('id').where('code', '=', 'GI').executeTakeFirstOrThrow();
    await k()
      .insertInto('products')
      .values({ id: 'prd-clash-ff', code: 'FF', name: 'Clash', logo: null, category_id: gi.id, is_active: 1, sort_order: 99, form: null, created_at: 0, updated_at: 0 })
      .execute();
    const byCategory = await pricing().addRule(rule('gold', 100, 0, 1, { category: 'FF' }));
    expect(byCategory).toMatchObject({ scope: 'category', target: 'FF', percentBp: 100 });
    const byProduct = await pricing().addRule(rule('gold', 200, 0, 1, { product: 'FF' }));
    expect(byProduct).toMatchObject({ scope: 'product', target: 'FF', percentBp: 200 });
    expect(byProduct.id).not.toBe(byCategory.id);
    const all = await pricing().addRule(rule('gold', 300, 0, 1));
    expect(all).toMatchObject({ scope: 'all', target: null, percentBp: 300 });
  });

  it('removing a rule keeps the prices it set (hand-set from then on)', async () => {
    const r = await pricing().addRule(rule('gold', 300, 200, 100));
    await pricing().apply();
    const applied = await prices();
    expect(applied.get('S4_ML86|gold')).toBe(18_900);

    await pricing().removeRule(r.id);
    expect(await pricing().listRules()).toEqual([]);
    expect(await prices()).toEqual(applied);
    expect((await pricing().preview()).changes).toEqual([]);
    expect((await pricing().apply()).changes).toEqual([]);

    // The cost moves: no rule follows it any more; the price stays and is reported if below.
    const moved = await t.kios.routes.add('S4_ML86', 'simulator', 'ML86', { cost: 20_000 });
    expect(moved.repriced.changes).toEqual([]);
    expect(moved.repriced.belowCost).toEqual(expect.arrayContaining([{ productCode: 'S4_ML86', tier: 'gold', price: 18_900, cost: 20_000, why: 'hand-set' }]));
    expect(await prices()).toEqual(applied);

    await expect(pricing().removeRule(r.id)).rejects.toThrow(OperatorError);
    await expect(pricing().removeRule('pr_nope')).rejects.toThrow(/no price rule "pr_nope"/);
  });

  it('bad input is refused with an OperatorError and changes nothing', async () => {
    const existing = await pricing().addRule(rule('gold', 300, 200, 100));
    const rulesBefore = await ruleRows();
    const pricesBefore = await prices();

    const bad: [RuleInput, RegExp][] = [
      [rule('diamond', 300), /no tier "diamond" \(tiers: member, gold, platinum\)/],
      [rule('gold', 300, 0, 1, { category: 'NOPE' }), /no category with code "NOPE"/],
      [rule('gold', 300, 0, 1, { product: 'NOPE' }), /no product with code "NOPE"/],
      [rule('gold', 300, 0, 1, { category: 'ML', product: 'S4_ML86' }), /not both/],
      [rule('gold', 300, 0, 0), /round/],
      [rule('gold', 300, 0, -100), /round/],
      [rule('gold', 300, 0, 1.5), /round/],
      [rule('gold', 300, 1.5, 1), /fixed/],
      [rule('gold', 300, 2_000_000_000, 1), /fixed/],
      [rule('gold', 2.5, 0, 1), /percent/],
      [rule('gold', Number.NaN, 0, 1), /percent/],
      [rule('gold', -10_001, 0, 1), /percent/],
      [rule('gold', 1_000_001, 0, 1), /percent/],
    ];
    for (const [input, reason] of bad) {
      const err = await pricing().addRule(input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(input)).toBeInstanceOf(OperatorError);
      expect((err as Error).message, JSON.stringify(input)).toMatch(reason);
    }

    expect(await ruleRows()).toEqual(rulesBefore);
    expect(await pricing().listRules()).toEqual([existing]);
    expect(await prices()).toEqual(pricesBefore);
    // The rules that are there still work.
    expect((await pricing().preview()).changes.length).toBeGreaterThan(0);
  });
});
