import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { describeDatabaseUrl } from '../db/index.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { createDb } from '../db/index.js';
import { seedDemo } from '../demo/seed.js';
import { serve, type Role } from '../serve.js';
import { adminCommands } from './commands/admin.js';
import { catalogCommands } from './commands/catalog.js';
import { depositCommands } from './commands/deposit.js';
import { ledgerCommands } from './commands/ledger.js';
import { orderCommands } from './commands/order.js';
import { resellerCommands } from './commands/reseller.js';
import { priceCommands } from './commands/price.js';
import { redeemCommands } from './commands/redeem.js';
import { routeCommands } from './commands/route.js';
import { supplierCommands } from './commands/supplier.js';
import { out, withKios } from './context.js';

/**
 * `kios`: the operator's command line. Every command runs against DATABASE_URL with the same
 * services the HTTP API uses, so `DATABASE_URL=postgres://... kios reseller create ...`
 * provisions a PostgreSQL deployment exactly as it would the default SQLite file. Each command
 * group lives in its own file under `commands/`.
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('kios')
    .description('Self-hosted H2H platform for digital game products (Kiosgame-compatible API, Otomax channel).')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('serve')
    .description('run kios: the HTTP API and the worker (what `npm start` runs)')
    .addOption(new Option('--role <role>', 'which part to run in this process').choices(['all', 'api', 'worker']).default('all'))
    .action(async (o: { role: Role }) => runServe(loadConfig(), o.role));

  program
    .command('migrate')
    .description('bring the database schema up to date (serve does this by itself)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig();
      const db = createDb(config.databaseUrl, { poolSize: 2, preparedStatements: config.pgPreparedStatements });
      try {
        const r = await migrateToLatest(db);
        out(o.json, { applied: r.applied, database: describeDatabaseUrl(config.databaseUrl) }, () =>
          r.applied.length ? `applied ${r.applied.join(', ')}` : `schema is up to date (${describeDatabaseUrl(config.databaseUrl)})`,
        );
      } finally {
        await db.close();
      }
    });

  program
    .command('demo')
    .description('seed the demo catalog and the demo reseller (idempotent)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const d = await seedDemo(k);
        out(o.json, { reseller_id: d.resellerId, api_key: d.apiKey, products: d.products, created: d.createdReseller }, () =>
          [
            `demo catalog: ${d.products} products`,
            `demo reseller: ${d.resellerId} (${d.createdReseller ? 'created' : 'already there'})`,
            `api key: ${d.apiKey}`,
          ].join('\n'),
        );
      }),
    );

  program.addCommand(resellerCommands());
  program.addCommand(catalogCommands());
  program.addCommand(supplierCommands());
  program.addCommand(routeCommands());
  program.addCommand(priceCommands());
  program.addCommand(orderCommands());
  program.addCommand(ledgerCommands());
  program.addCommand(redeemCommands());
  program.addCommand(depositCommands());
  program.addCommand(adminCommands());

  await program.parseAsync(argv);
}

async function runServe(config: Config, role: Role): Promise<void> {
  const running = await serve(config, role);
  if (running.demo?.createdReseller) {
    const base = running.url ?? `http://${config.host}:${config.port}`;
    process.stdout.write(
      [
        '',
        '  First start: seeded the demo catalog and a demo reseller (balance 1,000,000).',
        `  Demo API key (shown this once; \`kios demo\` prints it again): ${running.demo.apiKey}`,
        `  Try: curl -H "Authorization: ${running.demo.apiKey}" ${base}/v1/user`,
        '',
        '',
      ].join('\n'),
    );
  }
  if (running.url) process.stdout.write(`kios is listening on ${running.url} (${describeDatabaseUrl(config.databaseUrl)})\n`);
  if (running.metricsUrl) process.stdout.write(`metrics at ${running.metricsUrl}/metrics\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      running.kios.log.info({ signal }, 'shutting down');
      running.stop().then(resolve, (err: unknown) => {
        running.kios.log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
