/**
 * Money and time as Indonesian users read them. Pure functions (no DOM, no session), so tests run
 * them in Node; components (ui/value.tsx) pass the session's time zone and the UI language.
 */

function grouped(n: number): string {
  return String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

/** Whole rupiah: `Rp 1.234.567`, `-Rp 1.234.567`; the same in both UI languages. */
export function formatRupiah(amount: number): string {
  return `${amount < 0 ? '-' : ''}Rp ${grouped(amount)}`;
}

/** Plain counts (orders, items): `1.234`, `-12`. */
export function formatNumber(n: number): string {
  return `${n < 0 ? '-' : ''}${grouped(n)}`;
}

type DateLang = 'id' | 'en';

const LOCALES: Record<DateLang, string> = { id: 'id-ID', en: 'en-GB' };
const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(lang: DateLang, timeZone: string | undefined, withTime: boolean): Intl.DateTimeFormat {
  const key = `${lang}|${timeZone ?? ''}|${withTime}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALES[lang], {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
    });
    cache.set(key, f);
  }
  return f;
}

function parts(ms: number, lang: DateLang, timeZone: string | undefined, withTime: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatter(lang, timeZone, withTime).formatToParts(ms)) out[p.type] = p.value;
  return out;
}

/**
 * `30 Nov 2026 14.05` (id) or `30 Nov 2026 14:05` (en), in the given IANA time zone. Built from
 * parts so the result does not depend on the browser's punctuation between date and time.
 */
export function formatDateTime(ms: number, timeZone?: string, lang: DateLang = 'id'): string {
  const p = parts(ms, lang, timeZone, true);
  return `${p.day} ${p.month} ${p.year} ${p.hour}${lang === 'id' ? '.' : ':'}${p.minute}`;
}

/** `30 Nov 2026`. */
export function formatDate(ms: number, timeZone?: string, lang: DateLang = 'id'): string {
  const p = parts(ms, lang, timeZone, false);
  return `${p.day} ${p.month} ${p.year}`;
}

/**
 * The instant a calendar day (`2026-11-30`) starts in an IANA time zone, in epoch ms: the date
 * filters of the dashboards are days in the operator's zone, the API takes instants.
 */
export function zonedDayStart(day: string, timeZone?: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return Number.NaN;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // The zone's offset at that moment, read back from its wall clock (twice, for a day that
  // starts on a daylight-saving change).
  const offsetAt = (ms: number) => {
    const p: Record<string, string> = {};
    for (const x of new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms)) p[x.type] = x.value;
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - ms;
  };
  const first = utc - offsetAt(utc);
  return utc - offsetAt(first);
}

/** The day after `day` (`2026-11-30` -> `2026-12-01`), for an exclusive end of a date range. */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
