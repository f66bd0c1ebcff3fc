import type { ComponentType } from 'preact';
import { store, useStore } from './store';

/**
 * A history router in a few lines: links are real `<a href>` (so they work without JavaScript,
 * open in a new tab, and read right to screen readers); a click on a same-app link is turned into
 * pushState by the listener startApp installs; back/forward come as popstate.
 */

export interface PageProps {
  /** `:name` segments of the route's path. */
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  /** Full path, e.g. `/member/orders/:invoice`. */
  path: string;
  page: ComponentType<PageProps>;
  /** Reachable without a session (log-in, set-up). */
  public?: boolean;
}

const location_ = store(window.location.pathname + window.location.search);

function sync(): void {
  location_.set(window.location.pathname + window.location.search);
}

export function navigate(to: string, o: { replace?: boolean } = {}): void {
  if (o.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  sync();
  window.scrollTo(0, 0);
}

/** The current path and query, e.g. `/member/orders?status=PENDING`; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const loc = useStore(location_);
  const i = loc.indexOf('?');
  return i < 0 ? { path: loc, query: new URLSearchParams() } : { path: loc.slice(0, i), query: new URLSearchParams(loc.slice(i)) };
}

export function match(routes: Route[], path: string): { route: Route; params: Record<string, string> } | null {
  const want = path.replace(/\/+$/, '') || '/';
  for (const route of routes) {
    const a = route.path.split('/');
    const b = want.split('/');
    if (a.length !== b.length) continue;
    const params: Record<string, string> = {};
    if (a.every((seg, i) => (seg.startsWith(':') ? ((params[seg.slice(1)] = decodeURIComponent(b[i]!)), true) : seg === b[i]))) return { route, params };
  }
  return null;
}

/** Turns clicks on links inside `base` (e.g. `/member`) into client-side navigation. */
export function interceptLinks(base: string): void {
  window.addEventListener('popstate', sync);
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
    if (a.pathname !== base && !a.pathname.startsWith(`${base}/`)) return;
    e.preventDefault();
    navigate(a.pathname + a.search + a.hash);
  });
}
