import { describe, expect, it } from 'vitest';
import { assertRupiah, isRupiah, MAX_RUPIAH, partialRefund } from './money.js';

describe('rupiah amounts', () => {
  it.each([0, 1, 1511, 1_000_000, MAX_RUPIAH])('%d is a rupiah amount', (n) => {
    expect(isRupiah(n)).toBe(true);
    expect(assertRupiah(n)).toBe(n);
  });

  it.each([-1, 0.5, 1511.0000001, MAX_RUPIAH + 1, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY, '1511', null, undefined, 10n, {}])(
    '%s is not',
    (n) => {
      expect(isRupiah(n)).toBe(false);
      expect(() => assertRupiah(n, 'price')).toThrow(RangeError);
      expect(() => assertRupiah(n, 'price')).toThrow(/^price must be a whole number of rupiah/);
    },
  );

  it('MAX_RUPIAH leaves room for exact sums far beyond any balance', () => {
    expect(Number.isSafeInteger(MAX_RUPIAH * 1000)).toBe(true);
  });
});

describe('partialRefund', () => {
  it.each([
    // amount, delivered, total, refund
    [1511, 1, 2, 756], // charged 755 (rounded down), 756 returned
    [18624, 1, 2, 9312],
    [100, 1, 3, 67], // charged 33
    [100, 2, 3, 34], // charged 66
    [100, 0, 3, 100],
    [100, 3, 3, 0],
    [1, 1, 2, 1], // charged 0: the reseller never pays a fraction
    [0, 1, 2, 0],
    [MAX_RUPIAH, 1, 3, MAX_RUPIAH - Math.floor(MAX_RUPIAH / 3)],
    [999_999_999_999, 7, 13, 999_999_999_999 - Number((999_999_999_999n * 7n) / 13n)],
  ])('%d with %d of %d delivered returns %d', (amount, delivered, total, refund) => {
    const r = partialRefund(amount, delivered, total);
    expect(r).toBe(refund);
    expect(Number.isSafeInteger(r)).toBe(true);
    // Never more than was paid, never negative; the charged part is what was delivered, rounded down.
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThanOrEqual(amount);
    expect(amount - r).toBeLessThanOrEqual((amount * delivered) / total);
  });

  it.each([
    [100, 1, 0],
    [100, -1, 2],
    [100, 3, 2],
    [100, 0.5, 2],
    [100, 1, 2.5],
    [100, Number.NaN, 2],
  ])('refuses %d with %d of %d delivered', (amount, delivered, total) => {
    expect(() => partialRefund(amount, delivered, total)).toThrow(RangeError);
  });

  it('refuses an amount that is not rupiah', () => {
    expect(() => partialRefund(100.5, 1, 2)).toThrow(RangeError);
    expect(() => partialRefund(-100, 1, 2)).toThrow(RangeError);
  });
});
