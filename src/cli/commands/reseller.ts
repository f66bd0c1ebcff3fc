import { Argument, Command, InvalidArgumentError } from 'commander';
import { CLI_ACTOR } from '../../audit/log.js';
import type { ResellerSummary } from '../../resellers/service.js';
import { maskSecret } from '../../security/api-key.js';
import { out, wholeNumber, withKios } from '../context.js';
import { printTable } from '../table.js';

/** `kios reseller ...`: create resellers, credit them, manage their keys, whitelist and webhook. */
export function resellerCommands(): Command {
  const reseller = new Command('reseller').description('manage resellers');

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
        // merchant_id: the voucher-redeem API's (APIGames shape) name for this reseller.
        out(o.json, { ...resellerJson(r), merchant_id: r.merchantId, api_key_masked: key }, () =>
          Object.entries({ ...resellerJson(r), merchant_id: r.merchantId, api_key: key })
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
        const id = (await k.resellers.get(who)).id;
        const r = await k.resellers.deposit(id, rupiah, { note: o.note, reference: o.reference, within: k.audit.within(CLI_ACTOR, 'reseller.deposit', { type: 'reseller', id }, o.note ?? null) });
        out(o.json, { entry_id: r.entryId, amount: rupiah, balance: r.balance }, () => `deposited ${rupiah}; balance is now ${r.balance}`);
      }),
    );

  reseller
    .command('adjust <id-or-email> <amount>')
    .description('correct a balance: a positive amount credits, a negative one debits and is refused if the balance does not cover it (e.g. adjust rs_... --reason "double credit" -5000)')
    .requiredOption('--reason <text>', 'why (kept with the ledger entry)')
    .option('--reference <ref>', 'your reference; the same reference is never posted twice')
    .option('--json', 'print JSON')
    .action(async (who: string, amount: string, o: { reason: string; reference?: string; json?: boolean }) =>
      withKios(async (k) => {
        const rupiah = signedWholeNumber(amount);
        const id = (await k.resellers.get(who)).id;
        const r = await k.resellers.adjust(id, rupiah, o.reason, { reference: o.reference, within: k.audit.within(CLI_ACTOR, 'reseller.adjust', { type: 'reseller', id }, o.reason) });
        out(o.json, { entry_id: r.entryId, amount: rupiah, balance: r.balance }, () => `adjusted by ${rupiah}; balance is now ${r.balance}`);
      }),
    );

  reseller
    .command('tier <id-or-email> <tier>')
    .description('move a reseller to another price tier')
    .option('--json', 'print JSON')
    .action(async (who: string, tier: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const id = (await k.resellers.get(who)).id;
        const r = await k.resellerAdmin.setTier(id, tier, k.audit.within(CLI_ACTOR, 'reseller.tier', { type: 'reseller', id }));
        out(o.json, resellerJson(r), () => `${r.id} is now ${r.roleName} (${r.roleCode})`);
      }),
    );

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    reseller
      .command(`${verb} <id-or-email>`)
      .description(disabled ? 'refuse its API key, Otomax and redeem calls and end its dashboard sessions (balance and history are kept)' : 'let a disabled reseller trade again')
      .option('--json', 'print JSON')
      .action(async (who: string, o: { json?: boolean }) =>
        withKios(async (k) => {
          const id = (await k.resellers.get(who)).id;
          const r = await k.resellerAdmin.setDisabled(id, disabled, k.audit.within(CLI_ACTOR, `reseller.${verb}`, { type: 'reseller', id }));
          out(o.json, resellerJson(r), () => `${r.id} is ${disabled ? 'disabled' : 'enabled'}`);
        }),
      );
  }

  reseller
    .command('whitelist')
    .description('add or remove an IP address or CIDR range (v4 or v6); an empty whitelist allows every address')
    .argument('<id-or-email>')
    .addArgument(new Argument('<action>').choices(['add', 'remove']))
    .argument('<ip-or-cidr>')
    .option('--json', 'print JSON')
    .action(async (who: string, action: 'add' | 'remove', entry: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const id = (await k.resellers.get(who)).id;
        const list = await k.resellers.whitelist(id, action, entry, k.audit.within(CLI_ACTOR, `reseller.whitelist.${action}`, { type: 'reseller', id }));
        out(o.json, { whitelist: list }, () => `whitelist: ${list.join(', ') || '(empty: every address allowed)'}`);
      }),
    );

  reseller
    .command('webhook <id-or-email> <url>')
    .description('set the default callback URL ("none" clears it)')
    .option('--json', 'print JSON')
    .action(async (who: string, url: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const id = (await k.resellers.get(who)).id;
        const v = await k.resellers.setWebhook(id, url === 'none' ? null : url, k.audit.within(CLI_ACTOR, 'reseller.webhook', { type: 'reseller', id }));
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

  reseller
    .command('invite <id-or-email>')
    .description('print a one-time link where the reseller chooses its dashboard password (also for a forgotten one)')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.members.invite(who, CLI_ACTOR);
        out(o.json, { id: r.resellerId, email: r.email, setup_url: r.url, expires_at: new Date(r.expiresAt).toISOString() }, () =>
          `set-up link for ${r.email} (one use, until ${new Date(r.expiresAt).toISOString()}):\n${r.url}`,
        );
      }),
    );

  return reseller;
}

function signedWholeNumber(v: string): number {
  if (!/^-?\d{1,15}$/.test(v.trim())) throw new InvalidArgumentError(`"${v}" is not a whole number of rupiah`);
  return Number(v.trim());
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
    disabled: r.disabledAt !== null,
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
  };
}
