import { Command, InvalidArgumentError } from 'commander';
import { CLI_ACTOR } from '../../audit/log.js';
import { refundOrder, resolveOrder } from '../../operations/actions.js';
import type { Order, OrderAttempt } from '../../db/schema.js';
import { count, out, withKios, wholeNumber } from '../context.js';
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
    created_at: new Date(o.created_at).toISOString(),
    completed_at: o.completed_at ? new Date(o.completed_at).toISOString() : null,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One purchase attempt as `order show` prints it: what was sent where, and what came back (secrets masked). */
function attemptJson(a: OrderAttempt) {
  return {
    n: a.n,
    supplier: a.supplier_id,
    sku: a.sku,
    cost: a.cost,
    ref: a.ref,
    supplier_ref: a.supplier_ref,
    state: a.state,
    reason: a.reason,
    started_at: iso(a.started_at),
    answered_at: iso(a.answered_at),
    finished_at: iso(a.finished_at),
    duration_ms: a.duration_ms,
    status_checks: a.checks,
    request: a.request === null ? null : (JSON.parse(a.request) as unknown),
    last_answer: a.response === null ? null : (JSON.parse(a.response) as unknown),
  };
}

function attemptLines(a: ReturnType<typeof attemptJson>): string[] {
  const head = `  #${a.n} ${a.supplier} sku ${a.sku}${a.cost === null ? '' : ` cost ${a.cost}`}  ref ${a.ref}${a.supplier_ref ? ` (supplier ref ${a.supplier_ref})` : ''}`;
  const state = `     ${a.state}${a.reason ? `: ${a.reason}` : ''}  started ${a.started_at}${a.duration_ms === null ? '' : `, purchase took ${a.duration_ms} ms`}${a.finished_at ? `, decided ${a.finished_at}` : ''}${a.status_checks ? `, ${a.status_checks} status check(s)` : ''}`;
  const exchanges = (Array.isArray(a.request) ? (a.request as { method: string; url: string; request?: string; status?: number; response?: string; error?: string; ms: number }[]) : []).flatMap((e) => [
    `     > ${e.method} ${e.url}${e.request ? ` ${e.request}` : ''}`,
    `     < ${e.status !== undefined ? `HTTP ${e.status} ` : ''}${e.error ? `(${e.error}) ` : ''}${e.response ?? ''} [${e.ms} ms]`,
  ]);
  const last = a.last_answer ? [`     last answer: ${JSON.stringify(a.last_answer)}`] : [];
  return [head, state, ...exchanges, ...last];
}

/** `kios order ...`: look up orders across resellers, reverse or settle them. */
export function orderCommands(): Command {
  const order = new Command('order').description('inspect and settle orders');

  order
    .command('list')
    .description('recent orders, newest first')
    .option('--reseller <id-or-email>', 'only this reseller')
    .option('--status <status>', 'only this status (PENDING, SUCCESS, ...)')
    .option('--limit <n>', 'how many per page', count, 50)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print JSON')
    .action(async (o: { reseller?: string; status?: string; limit: number; cursor?: string; json?: boolean }) =>
      withKios(async (k) => {
        const resellerId = o.reseller ? (await k.resellers.get(o.reseller)).id : undefined;
        const status = o.status?.toUpperCase();
        const page = await k.orderAdmin.list({ resellerId, status, limit: o.limit, cursor: o.cursor });
        if (o.json) return out(true, { orders: page.orders.map(orderJson), next_cursor: page.nextCursor });
        printTable(
          ['invoice', 'status', 'amount', 'product', 'destination', 'trx_id', 'created'],
          page.orders.map((x) => [x.invoice_number, x.status, String(x.amount), x.product_code, x.server_id ? `${x.user_id}(${x.server_id})` : x.user_id, x.trx_id ?? '', new Date(x.created_at).toISOString()]),
        );
        // Ids, statuses and base64url cursors need no shell quoting: the line can be pasted as is.
        if (page.nextCursor) {
          const filters = [...(resellerId ? ['--reseller', resellerId] : []), ...(status ? ['--status', status] : [])];
          process.stdout.write(`\nnext page: kios order list ${[...filters, '--limit', String(o.limit), '--cursor', page.nextCursor].join(' ')}\n`);
        }
      }),
    );

  order
    .command('show <invoice-number>')
    .description('one order with its attempts at suppliers (requests and answers, secrets masked) and its history')
    .option('--json', 'print JSON')
    .action(async (invoice: string, o: { json?: boolean }) =>
      withKios(async (k) => {
        const x = await k.orderAdmin.get(invoice);
        const attempts = (await k.attempts.list(x.id)).map(attemptJson);
        const events = (await k.orderAdmin.events(x.id)).map((e) => ({ at: new Date(e.at).toISOString(), type: e.type, data: e.data ? (JSON.parse(e.data) as unknown) : null }));
        out(o.json, { ...orderJson(x), attempts, events }, () =>
          [
            ...Object.entries(orderJson(x)).map(([a, b]) => `${a.padEnd(16)} ${b ?? ''}`),
            `attempts:${attempts.length ? '' : ' (none yet)'}`,
            ...attempts.flatMap(attemptLines),
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
        const x = await refundOrder(k, CLI_ACTOR, invoice, o.reason);
        out(o.json, orderJson(x), () => `${x.invoice_number} is now ${x.status}; ${x.refunded_amount} returned`);
      }),
    );

  order
    .command('resolve <invoice-number> <outcome>')
    .description('settle a PENDING order by hand (outcome: success, failed, or partial with --refund) after checking with the supplier')
    .option('--reason <text>', 'shown in the response note when failed or partial')
    .option('--refund <rupiah>', 'partial: the rupiah to give back for what was not delivered', wholeNumber)
    .option('--json', 'print JSON')
    .action(async (invoice: string, outcome: string, o: { reason?: string; refund?: number; json?: boolean }) =>
      withKios(async (k) => {
        if (outcome !== 'success' && outcome !== 'failed' && outcome !== 'partial') throw new InvalidArgumentError('outcome must be success, failed or partial');
        const x = await resolveOrder(k, CLI_ACTOR, invoice, outcome, o.reason ?? '', o.refund);
        out(o.json, orderJson(x), () => `${x.invoice_number} is now ${x.status}`);
      }),
    );

  return order;
}
