import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { cliEnv, expectNoStack, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/** Every command's --help, and the way every kind of failure is reported. */
vi.setConfig({ testTimeout: 180_000 });

/** Each command, and what its help must mention. */
const HELP: [string[], (string | RegExp)[]][] = [
  [[], ['serve', 'migrate', 'demo', 'reseller', 'catalog', 'supplier', 'route', 'order', 'ledger']],
  [['serve'], ['--role <role>', '"all"', '"api"', '"worker"']],
  [['migrate'], ['--json']],
  [['demo'], ['--json', /idempotent/]],
  [['reseller'], ['create', 'list', 'show', 'deposit', 'whitelist', 'webhook', 'rotate-key', 'invite']],
  [['reseller', 'invite'], ['<id-or-email>', '--json']],
  [['admin'], ['create', 'list', 'link', 'disable', 'reset-totp']],
  [['admin', 'create'], ['--email <email>', '--name <name>', '--role <role>', '"owner"', '"staff"', '--json']],
  [['reseller', 'create'], ['--name <name>', '--email <email>', '--phone <phone>', '--role <tier>', '--balance <rupiah>', '--json']],
  [['reseller', 'list'], ['--json']],
  [['reseller', 'show'], ['<id-or-email>', '--json']],
  [['reseller', 'deposit'], ['<id-or-email>', '<amount>', '--note <text>', '--reference <ref>', '--json']],
  [['reseller', 'whitelist'], ['<id-or-email>', '<action>', '<ip-or-cidr>', /add or remove/, '--json']],
  [['reseller', 'webhook'], ['<id-or-email>', '<url>', '"none"', '--json']],
  [['reseller', 'rotate-key'], ['<id-or-email>', '--json']],
  [['catalog'], ['import', 'export']],
  [['catalog', 'import'], ['<file>', '--json']],
  [['catalog', 'export'], ['-o, --output <file>']],
  [['supplier'], ['kinds', 'add', 'list', 'show', 'update', 'disable', 'enable', 'test', 'balance']],
  [['supplier', 'kinds'], ['--json']],
  [['supplier', 'add'], ['<kind>', '--name <name>', '--config <json|@file|file>', '--title <text>', '--json']],
  [['supplier', 'list'], ['--no-balance', '--json']],
  [['supplier', 'show'], ['<name>', '--json']],
  [['supplier', 'update'], ['<name>', '--config <json|@file|file>', /merged/, '--json']],
  [['supplier', 'disable'], ['<name>', /in flight/, '--json']],
  [['supplier', 'enable'], ['<name>', '--json']],
  [['supplier', 'test'], ['<name>', /harmless/, '--json']],
  [['supplier', 'balance'], ['<name>', '--json']],
  [['route'], ['add', 'list', 'remove', 'disable', 'enable']],
  [['route', 'add'], ['<product_code>', '<supplier>', '<sku>', '--cost <rupiah>', '--priority <n>', '--json']],
  [['route', 'list'], ['[product_code]', /margin/, '--json']],
  [['route', 'remove'], ['<product_code>', '<supplier>', '[sku]', '--json']],
  [['route', 'disable'], ['<product_code>', '<supplier>', '[sku]', '--json']],
  [['route', 'enable'], ['<product_code>', '<supplier>', '[sku]', '--json']],
  [['order'], ['list', 'show', 'refund', 'resolve']],
  [['order', 'show'], ['<invoice-number>', /attempts/, '--json']],
  [['ledger'], ['verify']],
  [['ledger', 'verify'], ['--json']],
  [['redeem'], ['engine', 'fee', 'list', 'show', 'retry']],
  [['redeem', 'engine'], ['[supplier]', '--reseller <id-or-email>', /simulator/, '--json']],
  [['redeem', 'fee'], ['[amount]', '--tier <tier>', '--json']],
  [['redeem', 'list'], ['--reseller <id-or-email>', '--json']],
  [['redeem', 'show'], ['<project>', /masked/, '--json']],
  [['redeem', 'retry'], ['<project>', /error_engine/, '--json']],
];

describe.each(DIALECTS)('kios --help and errors (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
  });
  afterAll(async () => {
    await killAll();
    await db?.drop();
  });

  it('every command has --help, exits 0 and mentions its options, without touching the database', async () => {
    // A few at a time: three dozen Node processes started at once on a small CI machine can take
    // longer than the harness's kill timeout to start, and the test would measure the machine.
    const results: Awaited<ReturnType<typeof kios>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < HELP.length; i = next++) results[i] = await kios(env, [...HELP[i]![0], '--help']);
      }),
    );
    HELP.forEach(([cmd, mentions], i) => {
      const out = ok(results[i]!);
      expect(out, `kios ${cmd.join(' ')} --help`).toMatch(new RegExp(`^Usage: kios${cmd.map((c) => ` ${c}`).join('')} `));
      for (const m of mentions) {
        if (typeof m === 'string') expect(out, `kios ${cmd.join(' ')} --help`).toContain(m);
        else expect(out, `kios ${cmd.join(' ')} --help`).toMatch(m);
      }
    });
    if (dialect === 'sqlite') expect(existsSync(join(db.dataDir, 'kios.db'))).toBe(false);
  });

  it('usage mistakes exit 1 with the reason and the usage, no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['reseller', 'create', '--name', 'X'], /required option '--email <email>' not specified/],
      [['reseller', 'deposit', 'x@example.com'], /missing required argument 'amount'/],
      [['reseller', 'list', '--jsonn'], /unknown option '--jsonn'/],
      [['serve', '--role', 'boss'], /argument 'boss' is invalid\. Allowed choices are all, api, worker/],
    ];
    const results = await Promise.all(cases.map(([args]) => kios(env, args)));
    cases.forEach(([, reason], i) => {
      expectRefused(results[i]!, reason);
    });
  });

  it('configuration and database problems are one clear line, no stack trace', async () => {
    // A database made with one secret key refuses a process with another.
    ok(await kios(env, ['migrate']));
    okJson(await kios(env, ['reseller', 'create', '--name', 'K', '--email', 'k@example.com', '--json']));
    const cases: [Env, RegExp][] = [
      [{ ...env, KIOS_SECRET_KEY: 'another-secret-key-0123456789' }, /^kios: the secret key \(KIOS_SECRET_KEY\) is not the one this database was created with/],
      [{ ...env, DATABASE_URL: 'mysql://localhost/kios' }, /^kios: DATABASE_URL must start with sqlite: or postgres:\/\//],
      [{ ...env, PORT: 'eighty' }, /^kios: invalid configuration:\n {2}PORT: /],
      [{ ...env, LOG_LEVEL: 'loud' }, /^kios: invalid configuration:\n {2}LOG_LEVEL: /],
      [{ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, /^kios: .*ECONNREFUSED/],
    ];
    const results = await Promise.all(cases.map(([e]) => kios(e, ['reseller', 'list'])));
    cases.forEach(([, reason], i) => expectRefused(results[i]!, reason));
    // None of them did anything to the database.
    const list = okJson<{ email: string }[]>(await kios(env, ['reseller', 'list', '--json']));
    expect(list.map((r) => r.email)).toEqual(['k@example.com']);
  });

  it('operator mistakes in commands that reach the database are one line, no stack trace', async () => {
    const results = await Promise.all([
      kios(env, ['reseller', 'show', 'ghost@example.com']),
      kios(env, ['reseller', 'deposit', 'ghost@example.com', '100']),
      kios(env, ['reseller', 'whitelist', 'ghost@example.com', 'add', '192.0.2.1']),
      kios(env, ['reseller', 'webhook', 'ghost@example.com', 'https://93.184.215.14/']),
      kios(env, ['reseller', 'rotate-key', 'ghost@example.com']),
    ]);
    for (const r of results) {
      expectRefused(r, /^kios: no reseller with id or email "ghost@example\.com"\n$/);
      expectNoStack(r);
    }
  });
});
