/**
 * The reseller dashboard (/member). HOW TO ADD A PAGE (admin/main.tsx works the same way):
 *
 * 1. Write `member/pages/<area>.tsx` exporting a component that takes PageProps and returns
 *    `<Page title={t('member.<area>.title')}>...</Page>`. Read data with
 *    `useApi<T>('/orders', { cursor, status })` (GET /api/member/orders); change data inside a
 *    `<Form onSubmit={async (values) => { await api.post('/whitelist', {...}); reload(); }}>` with a
 *    `<Button type="submit">` (disabled while it runs; errors shown by the form). Lists:
 *    `usePager()` + `<Pager>` + `<Table>`; money `<Money value={n} />`; times `<DateTime ms={n} />`;
 *    failures `<ErrorAlert error={error} />`; nothing yet `<EmptyState />`. All from '../../src/lib/ui'.
 * 2. Add its texts to web/src/i18n/id.ts, then en.ts (a key missing in either is a type error);
 *    use them with `t('key', { param })`. No user-visible string outside the dictionaries.
 * 3. Put it in `routes` below, replacing its `notYet(...)` entry (the menu already links there);
 *    more paths (`/member/orders/:invoice`) are added the same way and read `params.invoice`.
 * 4. Plain CSS in web/src/styles.css, only when the shared classes are not enough.
 */
import '../src/styles.css';
import { startApp } from '../src/lib/app';
import type { Route } from '../src/lib/router';
import type { MemberSession } from '../src/lib/session';
import type { NavItem } from '../src/lib/ui';
import { LoginPage } from '../src/pages/login';
import { notYet } from '../src/pages/not-yet';
import { SetupPage } from '../src/pages/setup';
import { HomePage } from './pages/home';

const nav: NavItem[] = [
  { href: '/member', label: 'member.nav.home' },
  { href: '/member/mutasi', label: 'member.nav.mutasi' },
  { href: '/member/orders', label: 'member.nav.orders' },
  { href: '/member/prices', label: 'member.nav.prices' },
  { href: '/member/credentials', label: 'member.nav.credentials' },
  { href: '/member/whitelist', label: 'member.nav.whitelist' },
  { href: '/member/webhook', label: 'member.nav.webhook' },
  { href: '/member/deposits', label: 'member.nav.deposit' },
  { href: '/member/redeem', label: 'member.nav.redeem' },
];

const routes: Route[] = [
  { path: '/member/login', page: LoginPage, public: true },
  { path: '/member/setup', page: SetupPage, public: true },
  { path: '/member', page: HomePage },
  { path: '/member/mutasi', page: notYet('member.nav.mutasi') },
  { path: '/member/orders', page: notYet('member.nav.orders') },
  { path: '/member/prices', page: notYet('member.nav.prices') },
  { path: '/member/credentials', page: notYet('member.nav.credentials') },
  { path: '/member/whitelist', page: notYet('member.nav.whitelist') },
  { path: '/member/webhook', page: notYet('member.nav.webhook') },
  { path: '/member/deposits', page: notYet('member.nav.deposit') },
  { path: '/member/redeem', page: notYet('member.nav.redeem') },
];

startApp({ realm: 'member', name: 'app.member', routes, nav, userName: (s) => (s as MemberSession).reseller.name });
