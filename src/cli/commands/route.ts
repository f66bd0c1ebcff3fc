import { Command } from 'commander';
import type { RouteView } from '../../catalog/routes.js';
import { count, out, wholeNumber, withKios } from '../context.js';
import { printTable } from '../table.js';

function routeJson(r: RouteView) {
  return {
    product_code: r.productCode,
    priority: r.priority,
    supplier: r.supplier,
    supplier_kind: r.supplierKind,
    supplier_active: r.supplierActive,
    sku: r.sku,
    cost: r.cost,
    active: r.active,
    margins: r.margins,
  };
}

/** `kios route ...`: which supplier accounts a product is bought from, in which order, at what cost. */
export function routeCommands(): Command {
  const route = new Command('route').description('manage the supplier routes of products (tried in priority order, failing over on explicit refusals)');

  route
    .command('add <product_code> <supplier> <sku>')
    .description('add a route (or change its cost/priority): --priority 1 puts it first, none appends it last')
    .requiredOption('--cost <rupiah>', 'the supplier\'s price to you', wholeNumber)
    .option('--priority <n>', 'position among the product\'s routes, 1 = tried first', count)
    .option('--json', 'print JSON')
    .action(async (product: string, supplier: string, sku: string, o: { cost: number; priority?: number; json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.routes.add(product, supplier, sku, { cost: o.cost, priority: o.priority });
        const repriced = r.repriced.changes.map((c) => `${c.tier} ${c.from ?? '-'} -> ${c.to}`);
        const below = r.repriced.belowCost.map((b) => (b.why === 'rule' ? `${b.tier}: the rule would give ${b.price} < cost ${b.cost}` : `${b.tier}: hand-set ${b.price} < cost ${b.cost}`));
        out(o.json, { ...routeJson(r), repriced: r.repriced.changes.map((c) => ({ tier: c.tier, from: c.from, to: c.to })), below_cost: r.repriced.belowCost.map((b) => ({ tier: b.tier, price: b.price, cost: b.cost, why: b.why })) }, () =>
          [
            `${r.productCode}: route ${r.priority} is ${r.supplier} ${r.sku} at cost ${r.cost}`,
            ...(repriced.length ? [`repriced by markup rules: ${repriced.join(', ')}`] : []),
            ...(below.length ? [`below cost, prices left as they are: ${below.join(', ')}`] : []),
          ].join('\n'),
        );
      }),
    );

  route
    .command('list [product_code]')
    .description('routes in priority order, with the margin per price tier')
    .option('--json', 'print JSON')
    .action(async (product: string | undefined, o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.routes.list(product);
        if (o.json) return out(true, list.map(routeJson));
        const tiers = [...new Set(list.flatMap((r) => Object.keys(r.margins)))];
        printTable(
          ['product', '#', 'supplier', 'sku', 'cost', 'active', ...tiers.map((t) => `margin ${t}`)],
          list.map((r) => [
            r.productCode,
            String(r.priority),
            r.supplier,
            r.sku,
            r.cost === null ? '-' : String(r.cost),
            r.active && r.supplierActive ? 'yes' : r.active ? 'no (supplier disabled)' : 'no',
            ...tiers.map((t) => {
              const m = r.margins[t];
              return m === undefined || m === null ? '-' : String(m);
            }),
          ]),
        );
      }),
    );

  route
    .command('remove <product_code> <supplier> [sku]')
    .description('remove the product\'s route(s) through this supplier')
    .option('--json', 'print JSON')
    .action(async (product: string, supplier: string, sku: string | undefined, o: { json?: boolean }) =>
      withKios(async (k) => {
        const n = await k.routes.remove(product, supplier, sku);
        out(o.json, { removed: n }, () => `removed ${n} route${n === 1 ? '' : 's'}`);
      }),
    );

  for (const [verb, active] of [['disable', false], ['enable', true]] as const) {
    route
      .command(`${verb} <product_code> <supplier> [sku]`)
      .description(active ? 'use this route again' : 'skip this route for new attempts')
      .option('--json', 'print JSON')
      .action(async (product: string, supplier: string, sku: string | undefined, o: { json?: boolean }) =>
        withKios(async (k) => {
          const n = await k.routes.setActive(product, supplier, sku, active);
          out(o.json, { changed: n, active }, () => `${n} route${n === 1 ? '' : 's'} ${active ? 'enabled' : 'disabled'}`);
        }),
      );
  }

  return route;
}
