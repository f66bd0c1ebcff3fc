/**
 * Calendar days in the operator's time zone (`TZ`, Asia/Jakarta by default): "today" on the
 * dashboard starts at local midnight, not at 00:00 UTC (07:00 in Jakarta). Computed with Intl,
 * so a zone with daylight saving gets its 23- and 25-hour days right too.
 */
export interface Day {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  /** Local midnight, epoch ms (inclusive). */
  start: number;
  /** The next local midnight (exclusive). */
  end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(ms: number, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), min: Number(p.minute), s: Number(p.second) };
}

/** The zone's offset from UTC at `ms`, in ms (Jakarta: +7 h). */
function offsetAt(ms: number, timeZone: string): number {
  const p = partsIn(ms, timeZone);
  const wall = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return wall - (ms - (ms % 1000));
}

/** The instant the local calendar day `y-m-d` begins in the zone. */
function midnight(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  // The offset at a first guess, then at the corrected instant (they differ only across a change).
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}

/** The local day containing `ms`, and the `count - 1` days before it, oldest first. */
export function daysEndingAt(ms: number, timeZone: string, count: number): Day[] {
  const p = partsIn(ms, timeZone);
  const out: Day[] = [];
  for (let i = count - 1; i >= 0; i--) {
    // Date.UTC normalises day 0 and negative days into the previous month.
    const c = new Date(Date.UTC(p.y, p.m - 1, p.d - i));
    const [y, m, d] = [c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate()];
    const n = new Date(Date.UTC(y, m - 1, d + 1));
    out.push({
      date: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      start: midnight(y, m, d, timeZone),
      end: midnight(n.getUTCFullYear(), n.getUTCMonth() + 1, n.getUTCDate(), timeZone),
    });
  }
  return out;
}

/** Whether the runtime knows the zone (config is checked at start-up with this). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
