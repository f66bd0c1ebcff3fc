import { describe, expect, it } from 'vitest';
import { describeMarkup, markedUp, percentToBp, type Markup } from './markup.js';

/**
 * The markup arithmetic. Expected values are worked out by hand (and written down as literals),
 * or checked against the definition of "rounded up to the step" (a multiple of the step, not
 * below the exact price, less than one step above it), never by calling markedUp itself.
 */

const m = (percentBp: number, fixed = 0, roundStep = 1): Markup => ({ percentBp, fixed, roundStep });

describe('markedUp', () => {
  it('applies percent to the cost, then adds the fixed part, then rounds up to the step', () => {
    // 18065 × 1.03 = 18606.95; + 200 = 18806.95; up to a multiple of 100 = 18900.
    expect(markedUp(18_065, m(300, 200, 100))).toBe(18_900);
    // The percent never applies to the fixed part: 10000 × 1.10 + 1000 = 12000 (not 12100).
    expect(markedUp(10_000, m(1_000, 1_000, 1))).toBe(12_000);
    // No markup at all: the cost itself.
    expect(markedUp(18_065, m(0))).toBe(18_065);
    expect(markedUp(0, m(300, 0, 100))).toBe(0);
  });

  it('rounds UP, exactly: an exact multiple stays, anything above it goes to the next step', () => {
    expect(markedUp(10_000, m(100, 0, 100))).toBe(10_100); // exactly 10100: not 10200
    expect(markedUp(10_001, m(100, 0, 100))).toBe(10_200); // 10101.01 -> 10200
    expect(markedUp(10_000, m(0, 1, 100))).toBe(10_100); // one rupiah over -> a whole step
    expect(markedUp(1, m(1))).toBe(2); // 1.0001: a hundredth of a rupiah still rounds up
    expect(markedUp(9_999, m(0, 0, 1_000))).toBe(10_000);
    expect(markedUp(10_000, m(0, 0, 1_000))).toBe(10_000);
    expect(markedUp(18_624, m(200))).toBe(18_997); // 18996.48
    expect(markedUp(12_345, m(0, 0, 500))).toBe(12_500);
  });

  it('has none of the floating-point traps of cost * (1 + percent / 100)', () => {
    // In floating point 100 * 1.1 = 110.00000000000001 and 25000 * 1.1 = 27500.000000000004: a
    // float implementation would round those up to 111 and 27501.
    expect(100 * 1.1).toBeGreaterThan(110);
    expect(markedUp(100, m(1_000))).toBe(110);
    expect(markedUp(25_000, m(1_000))).toBe(27_500);
    expect(markedUp(10_000, m(1_100))).toBe(11_100); // 11100.000000000002 in floating point
    expect(markedUp(50_000, m(1_000, 0, 100))).toBe(55_000);
    // 10000 * 1.0029 = 10028.999999999998 in floating point.
    expect(markedUp(10_000, m(29))).toBe(10_029);
    expect(markedUp(300, m(1_500))).toBe(345);
  });

  it('handles negative markups (below the cost is the caller\'s guard rail, not hidden here)', () => {
    expect(markedUp(10_000, m(-500))).toBe(9_500);
    expect(markedUp(10_000, m(-500, -200))).toBe(9_300);
    expect(markedUp(10_050, m(-100))).toBe(9_950); // 9949.5 -> up to 9950
    expect(markedUp(10_050, m(-100, 0, 100))).toBe(10_000); // up, even for a discount
    expect(markedUp(10_000, m(0, -1))).toBe(9_999);
    expect(markedUp(18_065, m(-1, 0, 100))).toBe(18_100); // 18063.19 -> 18100
    // Never negative: -100% (or a fixed discount larger than the price) gives 0.
    expect(markedUp(10_000, m(-10_000))).toBe(0);
    expect(markedUp(100, m(0, -500, 100))).toBe(0);
    expect(markedUp(100, m(-10_000, 1, 1_000))).toBe(1_000);
  });

  it('is exact for large costs (no float error, no lost rupiah)', () => {
    // 123456789012 × 1.025 = 123456789012 + 3086419725.3 = 126543208737.3
    expect(markedUp(123_456_789_012, m(250))).toBe(126_543_208_738);
    expect(markedUp(123_456_789_012, m(250, 0, 100))).toBe(126_543_208_800);
    // 900719925474 × 1.01 = 909727124728.74; cost × 10100 is far past 2^53 on the way.
    expect(900_719_925_474 * 10_100).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(markedUp(900_719_925_474, m(100))).toBe(909_727_124_729);
    // 999999999999 × 1.0333 + 1 = 1033299999998.9667 + 1 -> 1033299999999.9667 -> 1033300000000
    expect(markedUp(999_999_999_999, m(333, 1))).toBe(1_033_300_000_000);
    // A whole-number result far past 2^53 / 10000 stays whole.
    expect(markedUp(5_000_000_000_000, m(300, 200, 100))).toBe(5_150_000_000_200);
    const big = markedUp(987_654_321_987, m(1_234, 567, 1_000));
    expect(typeof big).toBe('number');
    expect(Number.isSafeInteger(big)).toBe(true);
    // 987654321987 × 1.1234 = 1109530865320.1758; + 567 = 1109530865887.1758 -> 1109530866000
    expect(big).toBe(1_109_530_866_000);
  });

  it('always gives the smallest multiple of the step not below the exact price (checked on many cases)', () => {
    // A seeded generator: the same cases on every run.
    let seed = 0x2f6b_1d3a;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const steps = [1, 5, 10, 50, 100, 250, 500, 1_000, 5_000];
    for (let i = 0; i < 3_000; i++) {
      const cost = rand(5_000_000);
      const percentBp = rand(4_000) - 1_000;
      const fixed = rand(20_000) - 5_000;
      const step = steps[rand(steps.length)]!;
      const price = markedUp(cost, m(percentBp, fixed, step));
      // The exact price × 10000, an integer well inside 2^53 here: exact in floating point.
      const exact10k = cost * (10_000 + percentBp) + fixed * 10_000;
      const context = JSON.stringify({ cost, percentBp, fixed, step, price });
      expect(Number.isSafeInteger(price), context).toBe(true);
      if (exact10k <= 0) {
        expect(price, context).toBe(0);
        continue;
      }
      expect(price % step, context).toBe(0);
      expect(price * 10_000 >= exact10k, context).toBe(true);
      expect((price - step) * 10_000 < exact10k, context).toBe(true);
    }
  });
});

describe('percentToBp', () => {
  it('reads percents with up to two decimals into basis points, exactly', () => {
    expect(percentToBp('3')).toBe(300);
    expect(percentToBp('2.5')).toBe(250);
    expect(percentToBp('-1.25')).toBe(-125);
    expect(percentToBp('0')).toBe(0);
    expect(percentToBp('0.01')).toBe(1);
    expect(percentToBp('0.29')).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(percentToBp('1.15')).toBe(115); // 1.15 * 100 = 114.99999999999999
    expect(percentToBp('4.35')).toBe(435); // 4.35 * 100 = 434.99999999999994
    expect(percentToBp('9999.99')).toBe(999_999);
    expect(percentToBp('-100')).toBe(-10_000);
    expect(percentToBp(' 3 ')).toBe(300);
    expect(percentToBp('-0') === 0).toBe(true);
    expect(percentToBp('07')).toBe(700);
  });

  it('accepts the whole documented range, -100 to 10000', () => {
    // The CLI's message promises "-100 to 10000".
    expect(percentToBp('10000')).toBe(1_000_000);
    expect(percentToBp('10000.00')).toBe(1_000_000);
    expect(percentToBp('-100.00')).toBe(-10_000);
  });

  it('rejects anything else rather than guessing', () => {
    for (const bad of ['', ' ', 'abc', '3%', '1.005', '0.001', '1e2', '1E2', '.5', '5.', '1,5', '--3', '3-', 'Infinity', 'NaN', '0x10', '-100.01', '-101', '10000.01', '10001', '99999', '123456', '1 0'])
      expect(percentToBp(bad), JSON.stringify(bad)).toBeNull();
  });
});

describe('describeMarkup', () => {
  it('says what the rule does, with signs', () => {
    expect(describeMarkup(m(300, 200, 100))).toBe('cost +3% +200, rounded up to 100');
    expect(describeMarkup(m(250))).toBe('cost +2.5%, rounded up to 1');
    expect(describeMarkup(m(-125, -200, 1))).toBe('cost -1.25% -200, rounded up to 1');
    expect(describeMarkup(m(0, 500, 1_000))).toBe('cost +500, rounded up to 1000');
    expect(describeMarkup(m(0))).toBe('cost +0, rounded up to 1');
  });
});
