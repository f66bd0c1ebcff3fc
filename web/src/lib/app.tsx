import { render, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, configureApi, type Realm } from './api';
import { t, useLang, type MessageKey } from './i18n';
import { interceptLinks, match, navigate, useLocation, type Route } from './router';
import { getSession, loadSession, setSession, useSession, type Session } from './session';
import { Button, ErrorAlert, Layout, Loading, Page, type NavItem } from './ui';

/**
 * The shell both realms run: asks the server for the session once, then renders the route that
 * matches the path. Public routes (log-in, set-up) render bare; every other route needs a session
 * (without one: the log-in page, which comes back here afterwards via `?next=`) and is framed by
 * the Layout. A 401 from any later request means the session ended: back to log-in.
 */
export interface AppConfig {
  realm: Realm;
  name: MessageKey;
  routes: Route[];
  nav: NavItem[];
  /** Who is logged in, for the top bar. */
  userName: (s: Session) => string;
}

export function startApp(cfg: AppConfig): void {
  const base = `/${cfg.realm}`;
  configureApi({
    realm: cfg.realm,
    onUnauthenticated: () => {
      // Only a session we had can have ended; before one (the first GET) there is nothing to say.
      if (!getSession()) return;
      setSession(null);
      if (!isPublic(cfg, window.location.pathname)) navigate(loginPath(cfg.realm, window.location.pathname + window.location.search, true), { replace: true });
    },
  });
  interceptLinks(base);
  render(<App cfg={cfg} />, document.getElementById('app')!);
}

export function loginPath(realm: Realm, next?: string, expired = false): string {
  const q = new URLSearchParams();
  if (next && next !== `/${realm}` && next !== `/${realm}/login`) q.set('next', next);
  if (expired) q.set('expired', '1');
  const s = q.toString();
  return `/${realm}/login${s ? `?${s}` : ''}`;
}

function isPublic(cfg: AppConfig, path: string): boolean {
  return match(cfg.routes, path)?.route.public === true;
}

/** Navigation as a render result: `return <Redirect to="/member/login" />`. */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function App({ cfg }: { cfg: AppConfig }) {
  useLang();
  const session = useSession();
  const { path, query } = useLocation();
  const [boot, setBoot] = useState<{ done: boolean; error: unknown }>({ done: false, error: null });
  const start = () => {
    setBoot({ done: false, error: null });
    loadSession().then(
      () => setBoot({ done: true, error: null }),
      (error: unknown) => setBoot({ done: true, error }),
    );
  };
  useEffect(start, []);

  if (!boot.done) return <Loading />;
  const m = match(cfg.routes, path);
  // Log-in and set-up work without knowing the session; they report their own failures.
  if (m?.route.public) return <m.route.page params={m.params} query={query} />;
  if (boot.error) return <Unavailable error={boot.error} retry={start} />;
  if (!session) return <Redirect to={loginPath(cfg.realm, path + (query.toString() ? `?${query}` : ''))} />;
  const logout = async () => {
    try {
      await api.post('/auth/logout');
    } catch (e) {
      // Already ended on the server (e.g. by enrolling TOTP elsewhere): logged out all the same.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    setSession(null);
    navigate(`/${cfg.realm}/login?out=1`);
  };
  return (
    <Layout realmName={t(cfg.name)} user={cfg.userName(session)} nav={cfg.nav} onLogout={logout}>
      <FocusOnNavigate path={path}>{m ? <m.route.page params={m.params} query={query} /> : <NotFound home={`/${cfg.realm}`} />}</FocusOnNavigate>
    </Layout>
  );
}

/** After a client-side navigation, focus moves to <main> so screen readers start at the new page. */
function FocusOnNavigate({ path, children }: { path: string; children: ComponentChildren }) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  return <>{children}</>;
}

function NotFound({ home }: { home: string }) {
  return (
    <Page title={t('app.notFound')}>
      <p>
        <a href={home}>{t('app.back')}</a>
      </p>
    </Page>
  );
}

function Unavailable({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <main id="main" class="narrow">
      <ErrorAlert error={error} />
      <Button onClick={retry}>{t('app.retry')}</Button>
    </main>
  );
}
