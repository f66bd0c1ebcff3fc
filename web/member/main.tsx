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
 * 3. Put it in `routes` below, and in `nav` when the menu should link to it;
 *    more paths (`/member/orders/:invoice`) are added the same way and read `params.invoice`.
 * 4. Plain CSS in web/src/styles.css, only when the shared classes are not enough.
 */
import '../src/styles.css';
import { startApp } from '../src/lib/app';
import type { Route } from '../src/lib/router';
import type { MemberSession } from '../src/lib/session';
import type { NavItem } from '../src/lib/ui';
import { LoginPage } from '../src/pages/login';
import { SetupPage } from '../src/pages/setup';
import { AccountPage } from './pages/account';
import { CredentialsPage } from './pages/credentials';
import { DepositsPage } from './pages/deposits';
import { HomePage } from './pages/home';
import { MutasiPage } from './pages/mutasi';
import { OrderPage, OrdersPage } from './pages/orders';
import { PricesPage } from './pages/prices';
import { RedeemPage, RedeemProjectPage } from './pages/redeem';
import { WebhookPage } from './pages/webhook';
import { WhitelistPage } from './pages/whitelist';

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
  { href: '/member/account', label: 'member.nav.account' },
];

const routes: Route[] = [
  { path: '/member/login', page: LoginPage, public: true },
  { path: '/member/setup', page: SetupPage, public: true },
  { path: '/member', page: HomePage },
  { path: '/member/mutasi', page: MutasiPage },
  { path: '/member/orders', page: OrdersPage },
  { path: '/member/orders/:invoice', page: OrderPage },
  { path: '/member/prices', page: PricesPage },
  { path: '/member/credentials', page: CredentialsPage },
  { path: '/member/whitelist', page: WhitelistPage },
  { path: '/member/webhook', page: WebhookPage },
  { path: '/member/deposits', page: DepositsPage },
  { path: '/member/redeem', page: RedeemPage },
  { path: '/member/redeem/:id', page: RedeemProjectPage },
  { path: '/member/account', page: AccountPage },
];

startApp({ realm: 'member', name: 'app.member', routes, nav, userName: (s) => (s as MemberSession).reseller.name });
