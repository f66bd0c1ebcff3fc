import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios price ...` (and the repricing `kios route add` reports) as an operator runs them, on a
 * fresh database with the demo catalog. The steps build on each other. In the demo, S4_ML86 costs
 * 18065 (one simulator route) with hand-set prices member 19556, gold 18997, platinum 18624;
 * FF70 costs 9122 with gold 9594, platinum 9405.
 */
vi.setConfig({ testTimeout: 180_000 });

interface RuleJson {
  id: string;
  tier: string;
  scope: string;
  target: string | null;
  percent: number;
  fixed: number;
  round: number;
  description: string;
}
interface PlanJson {
  changes: { product_code: string; tier: string; from: number | null; to: number; cost: number; rule: string }[];
  below_cost: { product_code: string; tier: string; price: number; cost: number; why: string }[];
  no_cost: string[];
}

describe.each(DIALECTS)('kios price (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  const run = (args: string[]) => kios(env, args);
  /** The margins `kios route list` shows for a product's first route (price - cost per tier). */
  const margins = async (code: string) => okJson<{ cost: number; margins: Record<string, number> }[]>(await run(['route', 'list', code, '--json']))[0]!;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    ok(await run(['demo']));
  });
  afterAll(async () => {
    await killAll();
    await db?.drop();
  });

  it('price rule add prints the rule and what would change, and writes no price', async () => {
    const all = okJson<{ rule: RuleJson; applied: boolean } & PlanJson>(await run(['price', 'rule', 'add', '--tier', 'gold', '--percent', '3', '--fixed', '200', '--round', '100', '--json']));
    expect(all.rule).toEqual({ id: expect.stringMatching(/^pr_\w+$/), tier: 'gold', scope: 'all', target: null, percent: 3, fixed: 200, round: 100, description: 'cost +3% +200, rounded up to 100' });
    expect(all.applied).toBe(false);
    // 18065 × 1.03 + 200 = 18806.95 -> 18900
    expect(all.changes.find((c) => c.product_code === 'S4_ML86')).toEqual({ product_code: 'S4_ML86', tier: 'gold', from: 18_997, to: 18_900, cost: 18_065, rule: 'gold rule: cost +3% +200, rounded up to 100' });
    expect(all.changes).toHaveLength(14); // every demo product's gold price
    expect(all.changes.every((c) => c.tier === 'gold' && c.to % 100 === 0 && c.to >= c.cost)).toBe(true);
    ids.goldAll = all.rule.id;

    const human = ok(await run(['price', 'rule', 'add', '--tier', 'member', '--percent', '2.5', '--category', 'ML']));
    const m = human.match(/^member ML: cost \+2\.5%, rounded up to 1 \(rule (pr_\w+)\)\n(\d+) prices would change: kios price preview shows them, kios price apply writes them\n$/);
    expect(m, human).not.toBeNull();
    ids.memberMl = m![1]!;

    const product = okJson<{ rule: RuleJson }>(await run(['price', 'rule', 'add', '--tier', 'gold', '--percent', '1', '--product', 'S4_ML86', '--json']));
    expect(product.rule).toMatchObject({ tier: 'gold', scope: 'product', target: 'S4_ML86', percent: 1, fixed: 0, round: 1 });
    ids.goldMl86 = product.rule.id;

    // Negative markups are accepted as flags; what they would give below cost is reported.
    const discount = okJson<{ rule: RuleJson } & PlanJson>(await run(['price', 'rule', 'add', '--tier', 'platinum', '--product', 'FF70', '--percent', '-10', '--fixed', '-200', '--json']));
    expect(discount.rule).toMatchObject({ tier: 'platinum', scope: 'product', target: 'FF70', percent: -10, fixed: -200, description: 'cost -10% -200, rounded up to 1' });
    // 9122 × 0.9 - 200 = 8009.8 -> 8010, under the cost 9122
    expect(discount.below_cost).toEqual([{ product_code: 'FF70', tier: 'platinum', price: 8_010, cost: 9_122, why: 'rule' }]);
    ids.platFf70 = discount.rule.id;

    // Nothing written yet.
    expect((await margins('S4_ML86')).margins).toEqual({ member: 19_556 - 18_065, gold: 18_997 - 18_065, platinum: 18_624 - 18_065 });
  });

  it('price rule list shows every rule, by tier, then all / category / product', async () => {
    const list = okJson<RuleJson[]>(await run(['price', 'rule', 'list', '--json']));
    expect(list.map((r) => [r.id, r.tier, r.scope, r.target, r.description])).toEqual([
      [ids.memberMl, 'member', 'category', 'ML', 'cost +2.5%, rounded up to 1'],
      [ids.goldAll, 'gold', 'all', null, 'cost +3% +200, rounded up to 100'],
      [ids.goldMl86, 'gold', 'product', 'S4_ML86', 'cost +1%, rounded up to 1'],
      [ids.platFf70, 'platinum', 'product', 'FF70', 'cost -10% -200, rounded up to 1'],
    ]);
    const table = ok(await run(['price', 'rule', 'list']));
    expect(table).toMatch(/^id +tier +for +markup$/m);
    expect(table).toMatch(new RegExp(`^${ids.goldAll} +gold +all products +cost \\+3% \\+200, rounded up to 100$`, 'm'));
    expect(table).toMatch(new RegExp(`^${ids.memberMl} +member +ML +cost \\+2\\.5%, rounded up to 1$`, 'm'));
    expect(table).toMatch(new RegExp(`^${ids.platFf70} +platinum +FF70 +cost -10% -200, rounded up to 1$`, 'm'));
  });

  it('price preview shows the effect of the rules, most specific first, and writes nothing', async () => {
    const preview = okJson<PlanJson>(await run(['price', 'preview', '--json']));
    const change = (code: string, tier: string) => preview.changes.find((c) => c.product_code === code && c.tier === tier);
    expect(change('S4_ML86', 'gold')).toEqual({ product_code: 'S4_ML86', tier: 'gold', from: 18_997, to: 18_246, cost: 18_065, rule: 'gold product rule: cost +1%, rounded up to 1' });
    expect(change('S4_ML86', 'member')).toMatchObject({ from: 19_556, to: 18_517, rule: 'member category rule: cost +2.5%, rounded up to 1' }); // 18516.625
    expect(change('FF70', 'gold')).toMatchObject({ from: 9_594, to: 9_600 }); // 9122 × 1.03 + 200 = 9595.66
    expect(change('FF70', 'member')).toBeUndefined(); // no member rule outside ML
    expect(change('FF70', 'platinum')).toBeUndefined(); // below cost: left
    expect(preview.below_cost).toEqual([{ product_code: 'FF70', tier: 'platinum', price: 8_010, cost: 9_122, why: 'rule' }]);
    expect(preview.no_cost).toEqual([]);
    expect(okJson<PlanJson>(await run(['price', 'preview', '--json']))).toEqual(preview);

    const human = ok(await run(['price', 'preview']));
    expect(human).toMatch(new RegExp(`^${preview.changes.length} prices would change$`, 'm'));
    expect(human).toContain('  S4_ML86 gold: 18997 -> 18246  (cost 18065; gold product rule: cost +1%, rounded up to 1)\n');
    expect(human).toContain('1 prices below cost, left as they are:\n  FF70 platinum: 8010 < cost 9122 (what the rule gives)\n');

    expect((await margins('S4_ML86')).margins).toEqual({ member: 19_556 - 18_065, gold: 18_997 - 18_065, platinum: 18_624 - 18_065 });
  });

  it('price apply writes what preview showed; a second apply changes nothing', async () => {
    const preview = okJson<PlanJson>(await run(['price', 'preview', '--json']));
    const applied = okJson<PlanJson>(await run(['price', 'apply', '--json']));
    expect(applied).toEqual(preview);
    expect((await margins('S4_ML86')).margins).toEqual({ member: 18_517 - 18_065, gold: 18_246 - 18_065, platinum: 18_624 - 18_065 });
    expect((await margins('FF70')).margins).toEqual({ member: 9_876 - 9_122, gold: 9_600 - 9_122, platinum: 9_405 - 9_122 });

    expect(okJson<PlanJson>(await run(['price', 'preview', '--json'])).changes).toEqual([]);
    expect(ok(await run(['price', 'apply']))).toBe('0 prices changed\n1 prices below cost, left as they are:\n  FF70 platinum: 8010 < cost 9122 (what the rule gives)\n');
  });

  it('route add reprices the product from its new cost and says what it did', async () => {
    // Cost up: member and gold follow their rules; platinum is hand-set and now below cost.
    expect(ok(await run(['route', 'add', 'S4_ML86', 'simulator', 'ML86', '--cost', '20000']))).toBe(
      'S4_ML86: route 1 is simulator ML86 at cost 20000\n' +
        'repriced by markup rules: member 18517 -> 20500, gold 18246 -> 20200\n' +
        'below cost, prices left as they are: platinum: hand-set 18624 < cost 20000\n',
    );
    // Back down, as JSON.
    const back = okJson<{ cost: number; repriced: unknown[]; below_cost: unknown[]; margins: Record<string, number> }>(await run(['route', 'add', 'S4_ML86', 'simulator', 'ML86', '--cost', '18.065', '--json']));
    expect(back).toMatchObject({ product_code: 'S4_ML86', priority: 1, cost: 18_065 });
    expect(back.repriced).toEqual([
      { tier: 'member', from: 20_500, to: 18_517 },
      { tier: 'gold', from: 20_200, to: 18_246 },
    ]);
    expect(back.below_cost).toEqual([]);
    expect(back.margins).toEqual({ member: 452, gold: 181, platinum: 559 });
    // A route tried second does not decide the price: nothing repriced.
    expect(ok(await run(['route', 'add', 'S4_ML86', 'simulator', 'ML86-B', '--cost', '99999']))).toBe('S4_ML86: route 2 is simulator ML86-B at cost 99999\n');
    expect((await margins('S4_ML86')).margins).toEqual({ member: 452, gold: 181, platinum: 559 });
  });

  it('price rule remove keeps the prices; the next most specific rule takes over on the next apply', async () => {
    expect(ok(await run(['price', 'rule', 'remove', ids.goldMl86!]))).toBe(`removed rule ${ids.goldMl86}\n`);
    expect(okJson<RuleJson[]>(await run(['price', 'rule', 'list', '--json'])).map((r) => r.id)).toEqual([ids.memberMl, ids.goldAll, ids.platFf70]);
    expect((await margins('S4_ML86')).margins).toEqual({ member: 452, gold: 181, platinum: 559 });
    // Now the gold rule for all products covers S4_ML86.
    const preview = okJson<PlanJson>(await run(['price', 'preview', '--json']));
    expect(preview.changes).toEqual([{ product_code: 'S4_ML86', tier: 'gold', from: 18_246, to: 18_900, cost: 18_065, rule: 'gold rule: cost +3% +200, rounded up to 100' }]);

    // --apply writes at once.
    const now = okJson<{ rule: RuleJson; applied: boolean } & PlanJson>(await run(['price', 'rule', 'add', '--tier', 'platinum', '--percent', '1', '--round', '100', '--category', 'GPV', '--apply', '--json']));
    expect(now.applied).toBe(true);
    // GPV10 cost 9942 -> 10041.42 -> 10100; GPV50 cost 49227 -> 49719.27 -> 49800; plus the pending S4_ML86 gold.
    expect(now.changes.map((c) => [c.product_code, c.tier, c.to])).toEqual([
      ['GPV10', 'platinum', 10_100],
      ['GPV50', 'platinum', 49_800],
      ['S4_ML86', 'gold', 18_900],
    ]);
    expect(okJson<PlanJson>(await run(['price', 'preview', '--json'])).changes).toEqual([]);
  });

  it('bad flags and unknown names are refused with a clear reason, no stack trace, and change nothing', async () => {
    const rulesBefore = okJson<RuleJson[]>(await run(['price', 'rule', 'list', '--json']));
    const marginsBefore = await margins('S4_ML86');
    const add = ['price', 'rule', 'add'];
    const cases: [string[], RegExp][] = [
      [[...add, '--tier', 'gold', '--percent', 'abc'], /"abc" is not a percent/],
      [[...add, '--tier', 'gold', '--percent', '1.005'], /"1\.005" is not a percent/],
      [[...add, '--tier', 'gold', '--round', '0'], /"0" is not a rounding step/],
      [[...add, '--tier', 'gold', '--fixed', '1.5'], /"1\.5" is not a whole number of rupiah/],
      [[...add, '--tier', 'gold', '--fixed', '2000000000'], /fixed must be a whole number of rupiah/],
      [[...add, '--percent', '3'], /required option '--tier <code>' not specified/],
      [[...add, '--tier', 'diamond'], /no tier "diamond" \(tiers: member, gold, platinum\)/],
      [[...add, '--tier', 'gold', '--category', 'NOPE'], /no category with code "NOPE"/],
      [[...add, '--tier', 'gold', '--product', 'NOPE'], /no product with code "NOPE"/],
      [[...add, '--tier', 'gold', '--category', 'ML', '--product', 'S4_ML86'], /give --category or --product, not both/],
      [['price', 'rule', 'remove', 'pr_nope'], /no price rule "pr_nope"/],
      [['price', 'preview', '--bogus'], /unknown option '--bogus'/],
    ];
    // Two at a time: each is its own process, and none of them writes.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const results = await Promise.all(batch.map(([args]) => run(args)));
      results.forEach((r, j) => expectRefused(r, batch[j]![1]));
    }

    expect(okJson<RuleJson[]>(await run(['price', 'rule', 'list', '--json']))).toEqual(rulesBefore);
    expect(await margins('S4_ML86')).toEqual(marginsBefore);
  });
});
