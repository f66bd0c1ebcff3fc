import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { getRealm } from '../api';
import { lang, setLang, t, type MessageKey } from '../i18n';
import { useLocation } from '../router';
import { Button } from './form';

export interface NavItem {
  href: string;
  label: MessageKey;
}

/** The frame around every logged-in page: top bar, menu, and the <main> a skip link jumps to. */
export function Layout({ realmName, user, nav, onLogout, children }: { realmName: string; user: string; nav: NavItem[]; onLogout: () => Promise<void>; children: ComponentChildren }) {
  const { path } = useLocation();
  // The longest menu entry the path is in marks the current page (`/member` vs `/member/orders/X`).
  const current = nav.filter((n) => path === n.href || path.startsWith(`${n.href}/`)).sort((a, b) => b.href.length - a.href.length)[0];
  return (
    <>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="topbar">
        <span class="brand">{realmName}</span>
        <span class="user">{user}</span>
        <LanguageSwitch />
        <Button kind="secondary" onClick={onLogout}>
          {t('app.logout')}
        </Button>
      </header>
      <nav class="menu" aria-label={t('app.menu')}>
        <ul>
          {nav.map((n) => (
            <li key={n.href}>
              <a href={n.href} aria-current={n === current ? 'page' : undefined}>
                {t(n.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** One button naming the other language, in that language. */
export function LanguageSwitch() {
  const other = lang.get() === 'id' ? 'en' : 'id';
  return (
    <button type="button" class="btn btn-link lang" lang={other} onClick={() => setLang(other)}>
      {t('app.switchLanguage')}
    </button>
  );
}

/** Every page's body: sets the tab title and the one <h1>. */
export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · kios`;
  }, [title]);
  return (
    <>
      <h1>{title}</h1>
      {children}
    </>
  );
}

/** The frame of pages shown before log-in: the realm's name, the language switch, a card. */
export function Bare({ children }: { children: ComponentChildren }) {
  return (
    <>
      <header class="topbar">
        <span class="brand">{t(getRealm() === 'admin' ? 'app.admin' : 'app.member')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" class="narrow card">
        {children}
      </main>
    </>
  );
}
