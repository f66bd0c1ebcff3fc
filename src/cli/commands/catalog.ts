import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { out, withKios } from '../context.js';

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

  return catalog;
}
