import { useState } from 'preact/hooks';
import { t } from '../i18n';

/**
 * Keyset pages (`?cursor=&limit=` -> `{items, nextCursor}`): the API only knows "next", so the
 * cursors already visited are kept to go back. Reset it (`pager.reset()`) when filters change.
 */
export interface PagerState {
  /** Pass to the API as `cursor`; undefined on the first page. */
  cursor: string | undefined;
  next(cursor: string): void;
  back(): void;
  reset(): void;
  canGoBack: boolean;
}

export function usePager(): PagerState {
  const [stack, setStack] = useState<string[]>([]);
  return {
    cursor: stack[stack.length - 1],
    next: (c) => setStack((s) => [...s, c]),
    back: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
    canGoBack: stack.length > 0,
  };
}

export function Pager({ pager, nextCursor }: { pager: PagerState; nextCursor: string | null | undefined }) {
  if (!pager.canGoBack && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={t('app.pager')}>
      <button type="button" class="btn btn-secondary" disabled={!pager.canGoBack} onClick={() => pager.back()}>
        {t('app.previous')}
      </button>
      <button type="button" class="btn btn-secondary" disabled={!nextCursor} onClick={() => nextCursor && pager.next(nextCursor)}>
        {t('app.next')}
      </button>
    </nav>
  );
}
