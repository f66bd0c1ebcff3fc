import { Command, Option } from 'commander';
import { CLI_ACTOR } from '../../audit/log.js';
import type { OperatorView } from '../../operators/service.js';
import { out, withKios } from '../context.js';
import { printTable } from '../table.js';

/** `kios admin ...`: operators of the /admin dashboard (the first owner is made here). */
export function adminCommands(): Command {
  const admin = new Command('admin').description('manage operators of the admin dashboard');
  const linkLines = (o: OperatorView, url: string, expiresAt: number) =>
    `set-up link for ${o.email} (one use, until ${new Date(expiresAt).toISOString()}):\n${url}`;

  admin
    .command('create')
    .description('create an operator and print a one-time set-up link (where it chooses its password)')
    .requiredOption('--email <email>', 'email (unique; the log-in name)')
    .option('--name <name>', 'display name (default: the part before @)')
    .addOption(new Option('--role <role>', 'owner: everything; staff: no prices, suppliers or balances').choices(['owner', 'staff']).default('owner'))
    .option('--json', 'print JSON')
    .action(async (o: { email: string; name?: string; role: 'owner' | 'staff'; json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.operators.create({ email: o.email, name: o.name, role: o.role }, CLI_ACTOR);
        out(o.json, { id: r.operator.id, email: r.operator.email, role: r.operator.role, setup_url: r.setupUrl, expires_at: new Date(r.expiresAt).toISOString() }, () =>
          `created operator ${r.operator.id} (${r.operator.role})\n${linkLines(r.operator, r.setupUrl, r.expiresAt)}`,
        );
      }),
    );

  admin
    .command('list')
    .description('list operators')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const list = await k.operators.list();
        if (o.json) return out(true, list);
        printTable(
          ['id', 'email', 'name', 'role', 'state', 'totp'],
          list.map((x) => [x.id, x.email, x.name, x.role, x.disabled ? 'disabled' : x.active ? 'active' : 'invited', x.totpEnabled ? 'on' : 'off']),
        );
      }),
    );

  admin
    .command('link <id-or-email>')
    .description('print a new one-time set-up link (first log-in or forgotten password); earlier links stop working')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const op = await k.operators.get(who);
        const link = await k.operators.issueSetupLink(op.id, CLI_ACTOR);
        out(o.json, { id: op.id, email: op.email, setup_url: link.url, expires_at: new Date(link.expiresAt).toISOString() }, () => linkLines(op, link.url, link.expiresAt));
      }),
    );

  admin
    .command('disable <id-or-email>')
    .description('disable an operator: it is logged out everywhere and can no longer log in')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const op = await k.operators.disable(who, CLI_ACTOR);
        out(o.json, op, () => `disabled ${op.email}`);
      }),
    );

  admin
    .command('reset-totp <id-or-email>')
    .description('remove an operator\'s second factor (a lost phone); it is logged out everywhere')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const op = await k.operators.resetTotp(who, CLI_ACTOR);
        out(o.json, op, () => `two-factor authentication removed for ${op.email}`);
      }),
    );

  return admin;
}
