import { Command, InvalidArgumentError } from 'commander';
import { CLI_ACTOR } from '../../audit/log.js';
import type { PricePlan } from '../../pricing/reprice.js';
import { percentToBp } from '../../pricing/markup.js';
import type { RuleView } from '../../pricing/service.js';
import { out, wholeNumber, withKios } from '../context.js';
import { printTable } from '../table.js';

const percent = (v: string) => {
  const bp = percentToBp(v);
  if (bp === null) throw new InvalidArgumentError(`"${v}" is not a percent such as 3 or 2.5 (at most two decimals, -100 to 10000)`);
  return bp;
};
const rupiahSigned = (v: string) => {
  if (!/^-?\d{1,12}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a whole number of rupiah`);
  return Number(v);
};
const step = (v: string) => {
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`"${v}" is not a rounding step (1, 100, 500, ...)`);
  return Number(v);
};

function ruleJson(r: RuleView) {
  return { id: r.id, tier: r.tier, scope: r.scope, target: r.target, percent: r.percentBp / 100, fixed: r.fixed, round: r.roundStep, description: r.description };
}

function planJson(p: PricePlan) {
  return {
    changes: p.changes.map((c) => ({ product_code: c.productCode, tier: c.tier, from: c.from, to: c.to, cost: c.cost, rule: c.rule })),
    below_cost: p.belowCost.map((b) => ({ product_code: b.productCode, tier: b.tier, price: b.price, cost: b.cost, why: b.why })),
    no_cost: p.noCost,
  };
}

function describePlan(p: PricePlan, verb: string): string {
  const lines = [`${p.changes.length} prices ${verb}`];
  for (const c of p.changes.slice(0, 50)) lines.push(`  ${c.productCode} ${c.tier}: ${c.from ?? '-'} -> ${c.to}  (cost ${c.cost}; ${c.rule})`);
  if (p.changes.length > 50) lines.push(`  ... and ${p.changes.length - 50} more (--json lists all)`);
  if (p.belowCost.length) {
    lines.push(`${p.belowCost.length} prices below cost, left as they are:`);
    for (const b of p.belowCost.slice(0, 50)) lines.push(`  ${b.productCode} ${b.tier}: ${b.price} < cost ${b.cost} (${b.why === 'rule' ? 'what the rule gives' : 'hand-set'})`);
  }
  if (p.noCost.length) lines.push(`${p.noCost.length} products with rules but no known route cost: ${p.noCost.slice(0, 20).join(', ')}`);
  return lines.join('\n');
}

/** `kios price ...`: selling prices per tier from markup rules over supplier cost. */
export function priceCommands(): Command {
  const price = new Command('price').description('markup rules: selling price per tier = route cost + percent + fixed, rounded up');
  const rule = new Command('rule').description('add, list or remove markup rules');

  rule
    .command('add')
    .description('add a rule (replaces the tier\'s rule for the same scope); the most specific rule wins: product, category, all')
    .requiredOption('--tier <code>', 'price tier (member, gold, platinum, ...)')
    .option('--percent <n>', 'percent on top of cost (e.g. 3 or 2.5)', percent, 0)
    .option('--fixed <rupiah>', 'rupiah on top of cost', rupiahSigned, 0)
    .option('--round <rupiah>', 'round the price up to a multiple of this', step, 1)
    .option('--category <code>', 'only for this category\'s products')
    .option('--product <code>', 'only for this product')
    .option('--apply', 'reprice the products now (otherwise: kios price preview, then kios price apply)')
    .option('--json', 'print JSON')
    .action(async (o: { tier: string; percent: number; fixed: number; round: number; category?: string; product?: string; apply?: boolean; json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.pricing.addRule({ tier: o.tier, percentBp: o.percent, fixed: o.fixed, roundStep: o.round, category: o.category, product: o.product });
        const plan = o.apply ? await k.pricing.apply() : await k.pricing.preview();
        out(o.json, { rule: ruleJson(r), applied: o.apply === true, ...planJson(plan) }, () =>
          [`${r.tier} ${r.target ?? 'all products'}: ${r.description} (rule ${r.id})`, o.apply ? describePlan(plan, 'changed') : `${plan.changes.length} prices would change: kios price preview shows them, kios price apply writes them`].join('\n'),
        );
      }),
    );

  rule
    .command('list')
    .description('every markup rule')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const rules = await k.pricing.listRules();
        if (o.json) return out(true, rules.map(ruleJson));
        printTable(['id', 'tier', 'for', 'markup'], rules.map((r) => [r.id, r.tier, r.target ?? 'all products', r.description]));
      }),
    );

  rule
    .command('remove <id>')
    .description('remove a rule; the prices it set stay (hand-set from now on)')
    .action(async (id: string) =>
      withKios(async (k) => {
        await k.pricing.removeRule(id);
        out(false, null, () => `removed rule ${id}`);
      }),
    );

  price.addCommand(rule);

  price
    .command('set <product_code> <tier> <rupiah>')
    .description('hand-set one tier\'s price of a product ("none" stops selling it to that tier); a markup rule covering the product replaces it at its next reprice')
    .option('--json', 'print JSON')
    .action(async (product: string, tier: string, value: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const p = value === 'none' ? null : wholeNumber(value);
        const r = await k.products.setPrice(product, tier, p, k.audit.within(CLI_ACTOR, 'product.price', { type: 'product', id: product }));
        out(o.json, { product_code: product, tier, price: r.price }, () => `${product} ${tier}: ${r.price ?? 'not sold'}`);
      }),
    );

  price
    .command('preview')
    .description('what the current rules would change, and prices below their route\'s cost; writes nothing')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const plan = await k.pricing.preview();
        out(o.json, planJson(plan), () => describePlan(plan, 'would change'));
      }),
    );

  price
    .command('apply')
    .description('write the prices the rules give (never below the cost of the route serving the product)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const plan = await k.pricing.apply();
        out(o.json, planJson(plan), () => describePlan(plan, 'changed'));
      }),
    );

  return price;
}
