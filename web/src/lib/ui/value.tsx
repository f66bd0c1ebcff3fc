import { formatDate, formatDateTime, formatNumber, formatRupiah } from '../format';
import { useLang } from '../i18n';
import { useSession } from '../session';

/** `Rp 1.234.567`; negative amounts carry the `negative` class (red) besides the minus sign. */
export function Money({ value }: { value: number }) {
  return <span class={value < 0 ? 'money negative' : 'money'}>{formatRupiah(value)}</span>;
}

export function Count({ value }: { value: number }) {
  return <span class="num">{formatNumber(value)}</span>;
}

/** An epoch-ms instant in the session's time zone (the operator's TZ), `30 Nov 2026 14.05`. */
export function DateTime({ ms, dateOnly = false }: { ms: number | null | undefined; dateOnly?: boolean }) {
  const lang = useLang();
  const timeZone = useSession()?.timeZone;
  if (ms === null || ms === undefined) return <span aria-label="—">—</span>;
  const text = dateOnly ? formatDate(ms, timeZone, lang) : formatDateTime(ms, timeZone, lang);
  return <time dateTime={new Date(ms).toISOString()}>{text}</time>;
}
