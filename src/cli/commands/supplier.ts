import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { SupplierView } from '../../suppliers/service.js';
import { keyValues, out, rupiah, withKios } from '../context.js';
import { printTable } from '../table.js';

/** How long `supplier list` waits for each supplier's live balance. */
const LIST_BALANCE_TIMEOUT_MS = 10_000;

/**
 * `--config` as JSON text, `@file` or a file path. Read in the action, not as a commander
 * argument parser (commander quotes a refused argument in its error), and errors never quote
 * the input: it holds credentials.
 */
function readConfig(value: string): unknown {
  const text = value.trim();
  let source = text;
  if (!text.startsWith('{')) {
    const path = text.startsWith('@') ? text.slice(1) : text;
    if (!existsSync(path)) throw new Error('--config: give a JSON object, @file or a file path');
    try {
      source = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  try {
    return JSON.parse(source) as unknown;
  } catch {
    throw new Error('--config is not valid JSON');
  }
}

function supplierJson(s: SupplierView) {
  return {
    name: s.name,
    kind: s.kind,
    title: s.title,
    active: s.active,
    base_url: s.baseUrl,
    callback_url: s.callbackUrl,
    callback_path: s.callbackPath,
    config: s.config,
    created_at: new Date(s.createdAt).toISOString(),
    updated_at: new Date(s.updatedAt).toISOString(),
  };
}

function showText(s: SupplierView): string {
  return keyValues([
    ['name', s.name],
    ['kind', s.kind],
    ['title', s.title],
    ['active', s.active ? 'yes' : 'no (new orders skip it; orders in flight are still followed)'],
    ['base_url', s.baseUrl ?? ''],
    ['callback url', s.callbackPath === null ? '(this kind sends no callbacks)' : (s.callbackUrl ?? `set PUBLIC_URL, then register <PUBLIC_URL>${s.callbackPath}`)],
    ['config', ''],
    ...Object.entries(s.config).map(([k, v]): [string, unknown] => [`  ${k}`, typeof v === 'object' ? JSON.stringify(v) : v]),
  ]);
}

/** `kios supplier ...`: supplier accounts (credentials encrypted, never printed back). */
export function supplierCommands(): Command {
  const supplier = new Command('supplier').description('manage supplier accounts (README, "Suppliers")');

  supplier
    .command('kinds')
    .description('the kinds of supplier kios can buy from')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const kinds = k.suppliers.kinds();
        if (o.json) return out(true, kinds);
        printTable(['kind', 'what'], kinds.map((x) => [x.kind, x.title]));
      }),
    );

  supplier
    .command('add <kind>')
    .description('add a supplier account; the configuration is checked against the kind and stored encrypted')
    .requiredOption('--name <name>', 'the handle routes and the callback URL use, e.g. tossgames')
    .requiredOption('--config <json|@file|file>', 'the configuration (README lists each kind\'s keys)')
    .option('--title <text>', 'a display name')
    .option('--json', 'print JSON')
    .action(async (kind: string, o: { name: string; config: string; title?: string; json?: boolean }) =>
      withKios(async (k) => {
        const s = await k.suppliers.add(kind, o.name, readConfig(o.config), { title: o.title });
        out(o.json, supplierJson(s), () => `added supplier ${s.name} (${s.kind})\n${showText(s)}\nnext: kios supplier test ${s.name}`);
      }),
    );

  supplier
    .command('list')
    .description('every supplier account with its live balance and the callback URL to register')
    .option('--no-balance', 'do not ask the suppliers for their balance')
    .option('--json', 'print JSON')
    .action(async (o: { balance: boolean; json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.suppliers.list();
        const balances = await Promise.all(
          list.map(async (s) => {
            if (!o.balance) return null;
            if (!s.active) return { ok: false as const, reason: 'disabled' };
            const timeout = new Promise<{ ok: false; reason: string }>((resolve) => setTimeout(() => resolve({ ok: false, reason: 'no answer in time' }), LIST_BALANCE_TIMEOUT_MS).unref());
            return Promise.race([k.suppliers.balance(s.name), timeout]);
          }),
        );
        if (o.json) {
          return out(
            true,
            list.map((s, i) => {
              const b = balances[i];
              return { ...supplierJson(s), balance: b?.ok ? b.balance : null, balance_error: b && !b.ok ? b.reason : null, balance_low: b?.ok ? isLow(s, b.balance) : null };
            }),
          );
        }
        printTable(
          ['name', 'kind', 'active', 'base_url', 'balance', 'callback url'],
          list.map((s, i) => {
            const b = balances[i];
            const shown = b === null || b === undefined ? '-' : b.ok ? `${rupiah(b.balance)}${isLow(s, b.balance) ? ` LOW (< ${rupiah(s.config.balance_alert as number)})` : ''}` : `(${b.reason})`;
            return [s.name, s.kind, s.active ? 'yes' : 'no', s.baseUrl ?? '-', shown, s.callbackPath === null ? '-' : (s.callbackUrl ?? `<PUBLIC_URL>${s.callbackPath}`)];
          }),
        );
      }),
    );

  supplier
    .command('show <name>')
    .description('one supplier account (credentials masked)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const s = await k.suppliers.show(name);
        out(o.json, supplierJson(s), () => showText(s));
      }),
    );

  supplier
    .command('update <name>')
    .description('change a supplier account: --config is merged into the stored one (a key set to null is removed)')
    .option('--config <json|@file|file>', 'keys to change')
    .option('--title <text>', 'a display name')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { config?: string; title?: string; json?: boolean }) =>
      withKios(async (k) => {
        if (o.config === undefined && o.title === undefined) throw new InvalidArgumentError('give --config and/or --title');
        const s = await k.suppliers.update(name, o.config === undefined ? undefined : readConfig(o.config), { title: o.title });
        out(o.json, supplierJson(s), () => `updated supplier ${s.name}\n${showText(s)}`);
      }),
    );

  for (const [verb, active] of [['disable', false], ['enable', true]] as const) {
    supplier
      .command(`${verb} <name>`)
      .description(active ? 'route new orders to this supplier again' : 'stop routing new orders to this supplier (orders in flight are still followed)')
      .option('--json', 'print JSON')
      .action(async (name: string, o: { json?: boolean }) =>
        withKios(async (k) => {
          const s = await k.suppliers.setActive(name, active);
          out(o.json, supplierJson(s), () => `${s.name} is ${s.active ? 'enabled' : 'disabled'}`);
        }),
      );
  }

  supplier
    .command('test <name>')
    .description('a signed, harmless call (the balance) proving the configuration works')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const b = await k.suppliers.balance(name);
        if (!b.ok) throw new Error(`${name}: test failed: ${b.reason}`);
        out(o.json, { ok: true, balance: b.balance }, () => `ok, balance ${rupiah(b.balance)}`);
      }),
    );

  supplier
    .command('balance <name>')
    .description('kios\'s balance at this supplier')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const b = await k.suppliers.balance(name);
        if (!b.ok) throw new Error(`${name}: no balance: ${b.reason}`);
        out(o.json, { balance: b.balance }, () => rupiah(b.balance));
      }),
    );

  return supplier;
}

/** Below the account's `balance_alert` floor (the worker alerts the operator about it too). */
function isLow(s: SupplierView, balance: number): boolean {
  return typeof s.config.balance_alert === 'number' && balance < s.config.balance_alert;
}
