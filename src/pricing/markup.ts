/**
 * The markup arithmetic, exact: price = cost × (1 + percent) + fixed, rounded UP to the step (so
 * rounding never eats the margin). Percent is in basis points (3% = 300), computed in BigInt so a
 * large cost times a percent never loses a rupiah to floating point.
 */
export interface Markup {
  percentBp: number;
  fixed: number;
  roundStep: number;
}

export function markedUp(cost: number, m: Markup): number {
  const numerator = BigInt(cost) * BigInt(10_000 + m.percentBp) + BigInt(m.fixed) * 10_000n;
  if (numerator <= 0n) return 0;
  const unit = BigInt(m.roundStep) * 10_000n;
  const steps = (numerator + unit - 1n) / unit;
  return Number(steps * BigInt(m.roundStep));
}

/** `3`, `2.5`, `-1.25` (percent) -> basis points; null when it has more than two decimals or is out of range (-100 to 10000). */
export function percentToBp(s: string): number | null {
  // Five integer digits: 10000 (the top of the range) must be accepted; the range check below
  // rejects the rest.
  if (!/^-?\d{1,5}(\.\d{1,2})?$/.test(s.trim())) return null;
  const bp = Math.round(Number(s) * 100);
  return bp >= -10_000 && bp <= 1_000_000 ? bp : null;
}

export function describeMarkup(m: Markup): string {
  const pct = m.percentBp === 0 ? '' : `${m.percentBp > 0 ? '+' : ''}${m.percentBp / 100}%`;
  const fixed = m.fixed === 0 ? '' : `${m.fixed > 0 ? '+' : ''}${m.fixed}`;
  return `cost ${[pct, fixed].filter(Boolean).join(' ') || '+0'}, rounded up to ${m.roundStep}`;
}
