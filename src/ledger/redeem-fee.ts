import type { Queryable } from '../db/index.js';
import { assertRupiah } from '../domain/money.js';
import { post, type Posted } from './ledger.js';

/**
 * The fee of one successfully redeemed voucher (issue 9): one `redeem_fee` entry, referenced
 * `redeem-fee:<voucher id>`. The ledger's unique (reseller, reference) index makes a second charge
 * of the same voucher impossible (it throws, and the caller's transaction rolls back). Returns
 * null when the balance does not cover it: nothing is written.
 */
export function chargeRedeemFee(trx: Queryable, a: { resellerId: string; voucherId: number; projectId: string; amount: number; at: number }): Promise<Posted | null> {
  return post(trx, {
    resellerId: a.resellerId,
    kind: 'redeem_fee',
    amount: -assertRupiah(a.amount),
    reference: redeemFeeReference(a.voucherId),
    note: `redeem fee, project ${a.projectId}`,
    at: a.at,
  });
}

export const redeemFeeReference = (voucherId: number) => `redeem-fee:${voucherId}`;
