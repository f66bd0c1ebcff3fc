/**
 * Money is integer rupiah everywhere: never a float. Every amount crossing a boundary goes through
 * `assertRupiah`, so an arithmetic slip fails loudly instead of charging a fraction.
 */
export type Rupiah = number;

export const MAX_RUPIAH = 1_000_000_000_000; // 1 trillion: far above any balance, far below 2^53

export function isRupiah(n: unknown): n is Rupiah {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_RUPIAH;
}

export function assertRupiah(n: unknown, what = 'amount'): Rupiah {
  if (!isRupiah(n)) throw new RangeError(`${what} must be a whole number of rupiah in [0, ${MAX_RUPIAH}], got ${String(n)}`);
  return n;
}

/** `Rp 1.234.567`, as Indonesian operators and resellers read amounts. */
export function rupiah(n: number): string {
  return `Rp ${n.toLocaleString('id-ID', { maximumFractionDigits: 0 })}`;
}

/**
 * The part of `amount` to return when `delivered` of `total` units arrived. Rounds in the
 * reseller's favour: what was not delivered is refunded in full, what was is charged rounded down.
 */
export function partialRefund(amount: Rupiah, delivered: number, total: number): Rupiah {
  assertRupiah(amount);
  if (!Number.isSafeInteger(delivered) || !Number.isSafeInteger(total) || total <= 0 || delivered < 0 || delivered > total) {
    throw new RangeError(`invalid partial delivery ${delivered}/${total}`);
  }
  const charged = Number((BigInt(amount) * BigInt(delivered)) / BigInt(total));
  return amount - charged;
}
