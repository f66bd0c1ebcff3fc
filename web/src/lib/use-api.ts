import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Query } from './api';

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** Fetches again (after an action changed something). */
  reload: () => void;
}

/**
 * GET a realm path and re-fetch when the path or query changes:
 * `const { data, error, loading, reload } = useApi<OrdersPage>('/orders', { cursor, status })`.
 * An answer for an older query never overwrites a newer one.
 */
export function useApi<T>(path: string, query: Query = {}): Loaded<T> {
  const key = `${path}?${JSON.stringify(query)}`;
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown; loading: boolean }>({ key, data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ key, data: s.key === key ? s.data : null, error: null, loading: true }));
    api.get<T>(path, query).then(
      (data) => live && setState({ key, data, error: null, loading: false }),
      (error: unknown) => live && setState({ key, data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
    // `key` stands for path and query.
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
