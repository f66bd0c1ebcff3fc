/**
 * Voucher statuses of a redeem project (RULINGS section 3; the numbers are issue 9's). Success and
 * error_voucher are final for good; error_engine is final until the operator re-queues it
 * (`kios redeem retry`).
 */
export const VOUCHER_STATUS = { pending: 0, success: 1, process: 2, error_engine: 3, error_voucher: 4 } as const;
export type VoucherStatusName = keyof typeof VOUCHER_STATUS;
export type VoucherStatus = (typeof VOUCHER_STATUS)[VoucherStatusName];

export const STATUS_NAMES: VoucherStatusName[] = ['pending', 'success', 'process', 'error_engine', 'error_voucher'];

export function isFinalVoucher(status: number): boolean {
  return status === VOUCHER_STATUS.success || status === VOUCHER_STATUS.error_engine || status === VOUCHER_STATUS.error_voucher;
}

export type Stats = Record<VoucherStatusName, number>;

export function emptyStats(): Stats {
  return { pending: 0, success: 0, process: 0, error_engine: 0, error_voucher: 0 };
}

/** `note` of a voucher nothing has been said about yet, as the document shows. */
export const NO_NOTE = '-';
