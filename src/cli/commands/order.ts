import { Command, InvalidArgumentError } from 'commander';
import type { Order } from '../../db/schema.js';
import { count, out, withKios } from '../context.js';
import { printTable } from '../table.js';

function orderJson(o: Order) {
  return {
    invoice_number: o.invoice_number,
    reseller_id: o.reseller_id,
    trx_id: o.trx_id,
    channel: o.channel,
    product_code: o.product_code,
    user_id: o.user_id,
    server_id: o.server_id,
    amount: o.amount,
    refunded_amount: o.refunded_amount,
    status: o.status,
    response_note: o.response_note,
    supplier: o.supplier_id,
    supplier_ref: o.supplier_ref,
    created_at: new Date(o.created_at).toISOString(),
    completed_at: o.completed_at ? new Date(o.completed_at).toISOString() : null,
  };
}

/** `kios order ...`: look up orders across resellers, reverse or settle them. */
export function orderCommands(): Command {
  const order = new Command('order').description('inspect and settle orders');

  order
    .command('list')
    .description('recent orders, newest first')
    .option('--reseller <id-or-email>', 'only this reseller')
    .option('--status <status>', 'only this status (PENDING, SUCCESS, ...)')
    .option('--limit <n>', 'how many', count, 50)
    .option('--json', 'print JSON')
    .action(async (o: { reseller?: string; status?: string; limit: number; json?: boolean }) =>
      withKios(async (k) => {
        const resellerId = o.reseller ? (await k.resellers.get(o.reseller)).id : undefined;
        const list = await k.orderAdmin.list({ resellerId, status: o.status?.toUpperCase(), limit: o.limit });
        if (o.json) return out(true, list.map(orderJson));
        printTable(
          ['invoice', 'status', 'amount', 'product', 'destination', 'trx_id', 'created'],
          list.map((x) => [x.invoice_number, x.status, String(x.amount), x.product_code, x.server_id ? `${x.user_id}(${x.server_id})` : x.user_id, x.trx_id ?? '', new Date(x.created_at).toISOString()]),
        );
      }),
    );

  order
    .command('show <invoice-number>')
    .description('one order with its history (supplier answers, status changes, callbacks)')
    .option('--json', 'print JSON')
    .action(async (invoice: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const x = await k.orderAdmin.get(invoice);
        const events = (await k.orderAdmin.events(x.id)).map((e) => ({ at: new Date(e.at).toISOString(), type: e.type, data: e.data ? (JSON.parse(e.data) as unknown) : null }));
        out(o.json, { ...orderJson(x), events }, () =>
          [
            ...Object.entries(orderJson(x)).map(([a, b]) => `${a.padEnd(16)} ${b ?? ''}`),
            'history:',
            ...events.map((e) => `  ${e.at}  ${e.type}  ${JSON.stringify(e.data)}`),
          ].join('\n'),
        );
      }),
    );

  order
    .command('refund <invoice-number>')
    .description('reverse a SUCCESS order: the full amount returns to the reseller, who gets a callback')
    .option('--reason <text>', 'shown in the response note', 'Refunded by operator')
    .option('--json', 'print JSON')
    .action(async (invoice: string, o: { reason: string; json?: boolean }) =>
      withKios(async (k) => {
        const x = await k.orderAdmin.refund(invoice, o.reason);
        out(o.json, orderJson(x), () => `${x.invoice_number} is now ${x.status}; ${x.refunded_amount} returned`);
      }),
    );

  order
    .command('resolve <invoice-number> <outcome>')
    .description('settle a PENDING order by hand (outcome: success or failed) after checking with the supplier')
    .option('--reason <text>', 'shown in the response note when failed')
    .option('--json', 'print JSON')
    .action(async (invoice: string, outcome: string, o: { reason?: string; json?: boolean }) =>
      withKios(async (k) => {
        if (outcome !== 'success' && outcome !== 'failed') throw new InvalidArgumentError('outcome must be success or failed');
        const x = await k.orderAdmin.resolve(invoice, outcome, o.reason ?? '');
        out(o.json, orderJson(x), () => `${x.invoice_number} is now ${x.status}`);
      }),
    );

  return order;
}
