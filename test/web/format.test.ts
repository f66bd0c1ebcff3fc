import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatNumber, formatRupiah } from '../../web/src/lib/format.js';

describe('dashboard formats', () => {
  it('writes rupiah the Indonesian way', () => {
    expect(formatRupiah(1234567)).toBe('Rp 1.234.567');
    expect(formatRupiah(-1234567)).toBe('-Rp 1.234.567');
    expect(formatRupiah(0)).toBe('Rp 0');
    expect(formatRupiah(999)).toBe('Rp 999');
    expect(formatRupiah(1000)).toBe('Rp 1.000');
    expect(formatRupiah(12_345_678_901)).toBe('Rp 12.345.678.901');
    expect(formatNumber(-1234)).toBe('-1.234');
  });

  it('shows an instant in the given time zone', () => {
    const t = Date.UTC(2026, 10, 30, 7, 5); // 14.05 in Jakarta (UTC+7)
    expect(formatDateTime(t, 'Asia/Jakarta', 'id')).toBe('30 Nov 2026 14.05');
    expect(formatDateTime(t, 'Asia/Jakarta', 'en')).toBe('30 Nov 2026 14:05');
    expect(formatDateTime(t, 'Asia/Jayapura', 'id')).toBe('30 Nov 2026 16.05');
    // Past midnight in Jakarta while still the day before in UTC.
    expect(formatDateTime(Date.UTC(2026, 7, 3, 17, 5), 'Asia/Jakarta', 'id')).toBe('4 Agu 2026 00.05');
    expect(formatDate(t, 'Asia/Jakarta', 'id')).toBe('30 Nov 2026');
  });
});
