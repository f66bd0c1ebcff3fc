import type { Order } from '../db/schema.js';

/**
 * The one-line text replies of the Otomax H2H channel (RULINGS section 2), which Otomax, IRS and
 * similar software parse with templates or regular expressions. Byte-exact: spacing and
 * punctuation (`RefId :` in the created line, `RefId:` in the note) follow the published examples.
 */

/** Keeps a reply on one line whatever a caller put in a field. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ');
}

/** `{dest}`: `user|server` or `user`. */
export function pipeDest(userId: string, serverId: string | null): string {
  return serverId ? `${userId}|${serverId}` : userId;
}

/** `{dest()}`: `user(server)` or `user`. */
export function parenDest(userId: string, serverId: string | null): string {
  return serverId ? `${userId}(${serverId})` : userId;
}

export function createdLine(o: Order, balance: number): string {
  return oneLine(`R#${o.trx_id ?? ''} ${o.product_code}.${pipeDest(o.user_id, o.server_id)}, status PENDING. RefId : ${o.ref} . Sisa saldo ${balance}`);
}

export function statusLine(o: Order, balance: number): string {
  return oneLine(
    `R#${o.trx_id ?? ''} ${o.invoice_number} ${o.product_code}.${parenDest(o.user_id, o.server_id)}, status ${o.status}. ${o.response_note} . Sisa saldo ${balance}`,
  );
}

export function userLine(u: { name: string; email: string; roleName: string; balance: number }): string {
  return oneLine(`${u.name}. ${u.email}. plan ${u.roleName}. balance ${u.balance}`);
}

/** An order that was refused: echoes what the caller sent so its parser can match the reply. */
export function errorLine(e: { trxId: string; productCode: string; dest: string; code: string; balance: number | null }): string {
  return oneLine(`R#${e.trxId} ${e.productCode}.${e.dest}, status FAILED. ${e.code} . Sisa saldo ${e.balance ?? 0}`);
}

/**
 * Query parameters of an Otomax callback: the documented ones, plus `serverid`, `clientid` and
 * `statuscode` (1 success, 2 failed) that stock Otomax report parsers look for.
 */
export function callbackParams(o: Order, balance: number): [string, string][] {
  const succeeded = o.status === 'SUCCESS' || o.status === 'PARTIAL_SUCCESS';
  return [
    ['invoice_number', o.invoice_number],
    ['trx_id', o.trx_id ?? ''],
    ['status', o.status],
    ['sn', o.response_note],
    ['msg', statusLine(o, balance)],
    ['serverid', o.invoice_number],
    ['clientid', o.trx_id ?? ''],
    ['statuscode', succeeded ? '1' : '2'],
  ];
}
