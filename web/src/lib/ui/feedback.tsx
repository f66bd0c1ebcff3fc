import type { ComponentChildren } from 'preact';
import { errorText, t, type MessageKey } from '../i18n';

/** Errors are announced at once (role=alert); other notices politely (role=status). */
export function Alert({ kind = 'info', children }: { kind?: 'info' | 'success' | 'error'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A failed request, in the user's language; `byCode` as for errorText. */
export function ErrorAlert({ error, byCode }: { error: unknown; byCode?: Partial<Record<string, MessageKey>> }) {
  if (!error) return null;
  return <Alert kind="error">{errorText(error, byCode)}</Alert>;
}

export function EmptyState({ children }: { children?: ComponentChildren }) {
  return <p class="empty">{children ?? t('app.empty')}</p>;
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {t('app.loading')}
    </p>
  );
}
