import { readFileSync, writeFileSync } from 'node:fs';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { createKios, type Kios } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { describeDatabaseUrl } from '../db/index.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { createDb } from '../db/index.js';
import { seedDemo } from '../demo/seed.js';
import { verifyLedger } from '../ledger/verify.js';
import type { ResellerSummary } from '../resellers/service.js';
import { maskSecret } from '../security/api-key.js';
import { serve, type Role } from '../serve.js';
import { orderCommands } from './order-commands.js';
import { printTable } from './table.js';

/**
 * `kios`: the operator's command line. Every command runs against DATABASE_URL with the same
 * services the HTTP API uses, so `DATABASE_URL=postgres://... kios reseller create ...`
 * provisions a PostgreSQL deployment exactly as it would the default SQLite file.
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
      const db = createDb(config.databaseUrl, { poolSize: 2 });
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

  const reseller = program.command('reseller').description('manage resellers');

  reseller
    .command('create')
    .description('create a reseller and print its API key (shown only here)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--email <email>', 'email (unique)')
    .option('--phone <phone>', 'phone number, e.g. 628123456789')
    .option('--role <tier>', 'price tier code (member, gold, platinum, or your own)', 'member')
    .option('--balance <rupiah>', 'opening balance', wholeNumber, 0)
    .option('--json', 'print {"id":...,"api_key":...}')
    .action(async (o: { name: string; email: string; phone?: string; role: string; balance: number; json?: boolean }) =>
      withKios(async (k) => {
        const { reseller: r, apiKey } = await k.resellers.create({ name: o.name, email: o.email, phone: o.phone ?? null, role: o.role, balance: o.balance });
        out(o.json, { id: r.id, api_key: apiKey }, () => `created reseller ${r.id} (${r.email}, ${r.roleName}, balance ${r.balance})\napi key: ${apiKey}`);
      }),
    );

  reseller
    .command('list')
    .description('list resellers')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.resellers.list();
        if (o.json) return out(true, list.map(resellerJson));
        printTable(
          ['id', 'name', 'email', 'role', 'balance', 'whitelist', 'webhook'],
          list.map((r) => [r.id, r.name, r.email, r.roleCode, String(r.balance), r.ipWhitelist.join(',') || '(any)', r.webhookUrl ?? '']),
        );
      }),
    );

  reseller
    .command('show <id-or-email>')
    .description('show one reseller (the API key is masked)')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.resellers.get(who);
        const key = maskSecret(await k.resellers.apiKeyOf(r.id));
        out(o.json, { ...resellerJson(r), api_key_masked: key }, () =>
          Object.entries({ ...resellerJson(r), api_key: key })
            .map(([a, b]) => `${a.padEnd(12)} ${Array.isArray(b) ? b.join(', ') || '(any)' : String(b ?? '')}`)
            .join('\n'),
        );
      }),
    );

  reseller
    .command('deposit <id-or-email> <amount>')
    .description('credit a reseller balance (an append-only ledger entry)')
    .option('--note <text>', 'free text kept with the entry')
    .option('--reference <ref>', 'your reference (e.g. bank transfer id); the same reference is never credited twice')
    .option('--json', 'print JSON')
    .action(async (who: string, amount: string, o: { note?: string; reference?: string; json?: boolean }) =>
      withKios(async (k) => {
        const rupiah = wholeNumber(amount);
        const r = await k.resellers.deposit(who, rupiah, { note: o.note, reference: o.reference });
        out(o.json, { entry_id: r.entryId, amount: rupiah, balance: r.balance }, () => `deposited ${rupiah}; balance is now ${r.balance}`);
      }),
    );

  reseller
    .command('whitelist')
    .description('add or remove an IP address or CIDR range (v4 or v6); an empty whitelist allows every address')
    .argument('<id-or-email>')
    .addArgument(new Argument('<action>').choices(['add', 'remove']))
    .argument('<ip-or-cidr>')
    .option('--json', 'print JSON')
    .action(async (who: string, action: 'add' | 'remove', entry: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.resellers.whitelist(who, action, entry);
        out(o.json, { whitelist: list }, () => `whitelist: ${list.join(', ') || '(empty: every address allowed)'}`);
      }),
    );

  reseller
    .command('webhook <id-or-email> <url>')
    .description('set the default callback URL ("none" clears it)')
    .option('--json', 'print JSON')
    .action(async (who: string, url: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const v = await k.resellers.setWebhook(who, url === 'none' ? null : url);
        out(o.json, { webhook_url: v }, () => `webhook: ${v ?? '(none)'}`);
      }),
    );

  reseller
    .command('rotate-key <id-or-email>')
    .description('issue a new API key; the old one stops working at once')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.resellers.get(who);
        const key = await k.resellers.rotateKey(r.id);
        out(o.json, { id: r.id, api_key: key }, () => `new api key for ${r.id}: ${key}`);
      }),
    );

  const catalog = program.command('catalog').description('manage the catalog (categories, products, prices, supplier routes)');

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

  program.addCommand(orderCommands(withKios, out));

  const ledger = program.command('ledger').description('inspect the ledger');
  ledger
    .command('verify')
    .description('check every ledger invariant (balances equal their entries, one debit and at most one refund per order)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const v = await verifyLedger(k.db.kysely);
        out(o.json, { ok: v.length === 0, violations: v }, () => (v.length === 0 ? 'ledger OK' : v.map((x) => `${x.kind} ${x.subject}: ${x.detail}`).join('\n')));
        if (v.length > 0) process.exitCode = 2;
      }),
    );

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

/** Opens kios for one CLI command, logging only warnings (to stderr), and always closes it. */
async function withKios(fn: (k: Kios) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2));
  const k = await createKios(config, { log });
  try {
    await fn(k);
  } finally {
    await k.close();
  }
}

function out(json: boolean | undefined, data: unknown, human?: () => string): void {
  process.stdout.write(`${json || !human ? JSON.stringify(data, null, 2) : human()}\n`);
}

function resellerJson(r: ResellerSummary) {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    phone: r.phone,
    role: r.roleCode,
    balance: r.balance,
    ip_whitelist: r.ipWhitelist,
    webhook_url: r.webhookUrl,
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
  };
}

/** Whole rupiah; Indonesian thousand separators are accepted (`10.000` and `10,000` are 10000). */
function wholeNumber(v: string): number {
  const s = v.replace(/[_.,](?=\d{3}(\D|$))/g, '');
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new InvalidArgumentError(`"${v}" is not a whole number of rupiah`);
  return Number(s);
}
