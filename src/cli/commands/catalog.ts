import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { CLI_ACTOR } from '../../audit/log.js';
import type { SyncProgress, SyncReport } from '../../catalog/sync/sync.js';
import { out, withKios } from '../context.js';
import { progressBar } from '../progress.js';

/** `kios catalog ...`: the whole catalog as one file, in and out. */
export function catalogCommands(): Command {
  const catalog = new Command('catalog').description('manage the catalog (categories, products, prices, supplier routes)');

  catalog
    .command('import <file>')
    .description('import a catalog file (README, "Catalog file"); validates everything before writing anything')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
      await withKios(async (k) => {
        const c = await k.catalog.import(data);
        out(o.json, c, () => `imported ${c.categories} categories, ${c.products} products, ${c.tiers} tiers, ${c.suppliers} suppliers`);
      });
    });

  catalog
    .command('export')
    .description('print the catalog as an importable file (supplier credentials are left out)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (o: { output?: string }) =>
      withKios(async (k) => {
        const text = `${JSON.stringify(await k.catalog.export(), null, 2)}\n`;
        if (o.output) writeFileSync(o.output, text);
        else process.stdout.write(text);
      }),
    );

  for (const [verb, active] of [['disable', false], ['enable', true]] as const) {
    catalog
      .command(`${verb} <product_code>`)
      .description(active ? 'sell a product again' : 'stop selling a product (listed as inactive, orders refused with PRODUCT_INACTIVE)')
      .option('--json', 'print JSON')
      .action(async (product: string, o: { json?: boolean }) =>
        withKios(async (k) => {
          await k.products.setActive(product, active, k.audit.within(CLI_ACTOR, `product.${verb}`, { type: 'product', id: product }));
          out(o.json, { product_code: product, active }, () => `${product} is ${active ? 'enabled' : 'disabled'}`);
        }),
      );
  }

  catalog
    .command('sync <supplier>')
    .description('pull the supplier\'s catalog: create or update products and routes, follow its costs, reprice by markup rules')
    .option('--dry-run', 'show what would change; write nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (supplier: string, o: { dryRun?: boolean; json?: boolean }) =>
      withKios(async (k) => {
        const bar = o.json ? null : progressBar();
        let report: SyncReport;
        try {
          report = await k.catalogSync.run(supplier, { dryRun: o.dryRun, onProgress: (p: SyncProgress) => bar?.update(p) });
        } finally {
          bar?.stop();
        }
        out(o.json, syncJson(report), () => describeSync(report));
      }),
    );

  return catalog;
}

/** The summary in the CLI's JSON style (snake_case, like every other --json). */
function syncJson(r: SyncReport) {
  return {
    supplier: r.supplier,
    dry_run: r.dryRun,
    fetched: r.fetched,
    created_categories: r.createdCategories,
    created: r.created,
    adopted: r.adopted,
    cost_changed: r.costChanged,
    deactivated: r.deactivated,
    reactivated: r.reactivated,
    forms_updated: r.formsUpdated,
    repriced: r.repriced.map((c) => ({ product_code: c.productCode, tier: c.tier, from: c.from, to: c.to, cost: c.cost, rule: c.rule })),
    below_cost: r.belowCost.map((b) => ({ product_code: b.productCode, tier: b.tier, price: b.price, cost: b.cost, why: b.why })),
    unpriced: r.unpriced,
    writes: r.writes,
  };
}

/** The sync summary for people: counts first, then each change (long lists cut short). */
function describeSync(r: SyncReport): string {
  const lines = [
    `${r.dryRun ? 'dry run: would change' : 'synced'} ${r.supplier}: ${r.fetched} supplier products, ${r.created.length} new, ${r.costChanged.length} cost changes, ${r.deactivated.length} routes off, ${r.reactivated.length} back on, ${r.repriced.length} prices ${r.dryRun ? 'to reprice' : 'repriced'}`,
  ];
  const list = <T>(title: string, items: T[], fmt: (t: T) => string) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const t of items.slice(0, 30)) lines.push(`  ${fmt(t)}`);
    if (items.length > 30) lines.push(`  ... and ${items.length - 30} more (--json lists all)`);
  };
  list('new categories', r.createdCategories, (c) => c);
  list('new products', r.created, (p) => `${p.code}  ${p.name}  (sku ${p.sku}, cost ${p.cost})`);
  list('mapped to existing routes', r.adopted, (p) => `${p.code}  (sku ${p.sku})`);
  list('cost changes', r.costChanged, (c) => `${c.code}  ${c.from ?? '-'} -> ${c.to}`);
  list('routes switched off', r.deactivated, (d) => `${d.code}  (sku ${d.sku}: ${d.why === 'gone' ? 'gone from the supplier' : 'inactive at the supplier'})`);
  list('routes back on', r.reactivated, (d) => `${d.code}  (sku ${d.sku})`);
  list('input forms updated', r.formsUpdated, (c) => c);
  list('prices', r.repriced, (c) => `${c.productCode} ${c.tier}: ${c.from ?? '-'} -> ${c.to}  (${c.rule})`);
  list('BELOW COST, left as they are', r.belowCost, (b) => `${b.productCode} ${b.tier}: price ${b.price} < cost ${b.cost} (${b.why === 'rule' ? 'the rule would' : 'hand-set'})`);
  list('new products without a price (add a markup rule or set prices)', r.unpriced, (c) => c);
  if (r.writes === 0) lines.push('nothing to change');
  return lines.join('\n');
}
