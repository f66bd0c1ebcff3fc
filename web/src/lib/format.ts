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
