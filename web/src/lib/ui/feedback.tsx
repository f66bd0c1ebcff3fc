import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { errorText, t, type MessageKey } from '../i18n';

/** Errors are announced at once (role=alert); other notices politely (role=status). */
export function Alert({ kind = 'info', children }: { kind?: 'info' | 'success' | 'error'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/**
 * A failed request, in the user's language; `byCode` as for errorText. A problem no field can
 * show (a service's refusal: path "") is added in the server's words, so "check the marked
 * fields" is never all the user gets when no field is marked.
 */
export function ErrorAlert({ error, byCode }: { error: unknown; byCode?: Partial<Record<string, MessageKey>> }) {
  if (!error) return null;
  const unplaced = error instanceof ApiError ? error.issues.filter((i) => i.path === '').map((i) => i.message) : [];
  return (
    <Alert kind="error">
      {errorText(error, byCode)}
      {unplaced.map((m) => (
        <span key={m} class="alert-detail">
          {' '}
          {m}
        </span>
      ))}
    </Alert>
  );
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
