import { Command } from 'commander';
import type { ProjectSummary } from '../../redeem/service.js';
import { maskCode } from '../../redeem/ids.js';
import { STATUS_NAMES } from '../../redeem/statuses.js';
import { keyValues, out, rupiah, wholeNumber, withKios } from '../context.js';
import { printTable } from '../table.js';

/** `kios redeem ...`: voucher-redeem projects (APIGames-compatible bulk Kiosgamer redeem). */
export function redeemCommands(): Command {
  const redeem = new Command('redeem').description('voucher-redeem projects: engine, fees, projects');

  redeem
    .command('engine [supplier]')
    .description('show, or set, the engine that redeems new projects: a supplier name (an apigames account) or "simulator" (the default)')
    .option('--reseller <id-or-email>', 'set it for one reseller only')
    .option('--json', 'print JSON')
    .action(async (supplier: string | undefined, o: { reseller?: string; json?: boolean }) =>
      withKios(async (k) => {
        const reseller = o.reseller ? await k.resellers.get(o.reseller) : null;
        if (supplier === undefined) {
          const engine = await k.redeem.engineFor(reseller?.id ?? '');
          return out(o.json, { engine }, () => `redeem engine: ${engine}`);
        }
        const r = await k.redeem.setEngine(supplier, reseller?.id);
        out(o.json, { engine: r.engine, name: r.name, reseller: reseller?.id ?? null }, () => `redeem engine${reseller ? ` of ${reseller.id}` : ''}: ${r.engine}`);
      }),
    );

  redeem
    .command('fee [amount]')
    .description('show the fees, or set the fee per successfully redeemed voucher of a tier (new projects)')
    .option('--tier <tier>', 'price tier code (member, gold, platinum, ...)')
    .option('--json', 'print JSON')
    .action(async (amount: string | undefined, o: { tier?: string; json?: boolean }) =>
      withKios(async (k) => {
        if (amount !== undefined) {
          if (!o.tier) throw new Error('give --tier <tier> with the amount');
          await k.redeem.setFee(o.tier, wholeNumber(amount));
        }
        const fees = await k.redeem.fees();
        out(o.json, { fees }, () => (fees.length ? fees.map((f) => `${f.tier.padEnd(12)} ${rupiah(f.fee)}`).join('\n') : 'no redeem fees: redeeming is free'));
      }),
    );

  redeem
    .command('list')
    .description('list redeem projects, newest first')
    .option('--reseller <id-or-email>', 'only this reseller\'s')
    .option('--json', 'print JSON')
    .action(async (o: { reseller?: string; json?: boolean }) =>
      withKios(async (k) => {
        const reseller = o.reseller ? await k.resellers.get(o.reseller) : null;
        const list = await k.redeem.list(reseller ? { resellerId: reseller.id } : {});
        if (o.json) return out(true, { projects: list.map(projectJson) });
        printTable(
          ['project', 'id', 'reseller', 'engine', 'status', 'total', 'pending', 'process', 'success', 'err_engine', 'err_voucher', 'created'],
          list.map((p) => [p.projectId, String(p.seq), p.resellerId, p.engine, p.status, String(p.total), ...[p.stats.pending, p.stats.process, p.stats.success, p.stats.error_engine, p.stats.error_voucher].map(String), new Date(p.createdAt).toISOString()]),
        );
      }),
    );

  redeem
    .command('show <project>')
    .description('show a project (its public id or numeric id): stats and vouchers, codes partly masked')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const r = await k.redeem.get(id);
        const vouchers = r.vouchers.map((v) => ({
          id: Number(v.id),
          code: maskCode(v.code),
          status: v.status,
          status_name: STATUS_NAMES[v.status] ?? String(v.status),
          nominal_gs: v.nominal_gs,
          note: v.note,
          tries: v.tries,
          fee_charged: v.fee_entry ? v.fee : 0,
        }));
        const p = r.project;
        const json = {
          project_id: p.project_id,
          id: Number(p.seq),
          reseller_id: p.reseller_id,
          merchant_id: r.merchantId,
          engine: p.engine,
          fee: p.fee,
          status: p.status,
          total_voucher: p.total,
          stats: r.stats,
          created_at: new Date(p.created_at).toISOString(),
          completed_at: p.completed_at === null ? null : new Date(p.completed_at).toISOString(),
          vouchers,
        };
        if (o.json) return out(true, json);
        process.stdout.write(
          `${keyValues([
            ['project', `${p.project_id} (id ${p.seq})`],
            ['reseller', `${p.reseller_id} (merchant ${r.merchantId ?? '-'})`],
            ['engine', p.engine],
            ['fee', p.fee ? `${rupiah(p.fee)} per success` : 'none'],
            ['status', p.status],
            ['vouchers', `${p.total}: ${STATUS_NAMES.map((s) => `${s} ${r.stats[s]}`).join(', ')}`],
            ['created', json.created_at],
            ['completed', json.completed_at ?? ''],
          ])}\n\n`,
        );
        printTable(
          ['id', 'code', 'status', 'nominal_gs', 'tries', 'note'],
          vouchers.map((v) => [String(v.id), v.code, v.status_name, String(v.nominal_gs), String(v.tries), v.note]),
        );
      }),
    );

  redeem
    .command('retry <project>')
    .description('re-queue the project\'s error_engine vouchers (sent to the engine again)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const n = await k.redeem.retry(id);
        out(o.json, { requeued: n }, () => (n ? `re-queued ${n} voucher(s)` : 'no error_engine vouchers to re-queue'));
      }),
    );

  return redeem;
}

function projectJson(p: ProjectSummary) {
  return {
    project_id: p.projectId,
    id: p.seq,
    reseller_id: p.resellerId,
    engine: p.engine,
    fee: p.fee,
    status: p.status,
    total_voucher: p.total,
    stats: p.stats,
    created_at: new Date(p.createdAt).toISOString(),
    completed_at: p.completedAt === null ? null : new Date(p.completedAt).toISOString(),
  };
}
