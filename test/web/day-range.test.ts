import { describe, expect, it } from 'vitest';
import { nextDay, zonedDayStart } from '../../web/src/lib/format.js';

describe('date filters: a calendar day in the operator time zone', () => {
  it('starts at local midnight', () => {
    expect(zonedDayStart('2026-11-30', 'Asia/Jakarta')).toBe(Date.UTC(2026, 10, 29, 17));
    expect(zonedDayStart('2026-11-30', 'UTC')).toBe(Date.UTC(2026, 10, 30));
    expect(zonedDayStart('2026-03-08', 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
    expect(zonedDayStart('2026-03-09', 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4));
    expect(zonedDayStart('30/11/2026', 'UTC')).toBeNaN();
  });
  it('ends where the next day starts', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });
});
