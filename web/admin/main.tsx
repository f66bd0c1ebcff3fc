/** The operator dashboard (/admin). Pages are added as member/main.tsx describes, under admin/. */
import '../src/styles.css';
import { startApp } from '../src/lib/app';
import type { Route } from '../src/lib/router';
import type { AdminSession } from '../src/lib/session';
import type { NavItem } from '../src/lib/ui';
import { LoginPage } from '../src/pages/login';
import { SetupPage } from '../src/pages/setup';
import { AccountPage } from './pages/account';
import { AuditPage } from './pages/audit';
import { CallbacksPage } from './pages/callbacks';
import { CatalogPage } from './pages/catalog';
import { DepositsPage } from './pages/deposits';
import { HomePage } from './pages/home';
import { LedgerPage } from './pages/ledger';
import { OperatorsPage } from './pages/operators';
import { OrderPage } from './pages/order';
import { OrdersPage } from './pages/orders';
import { ResellerPage } from './pages/reseller';
import { ResellersPage } from './pages/resellers';
import { SuppliersPage } from './pages/suppliers';

const nav: NavItem[] = [
  { href: '/admin', label: 'admin.nav.summary' },
  { href: '/admin/orders', label: 'admin.nav.orders' },
  { href: '/admin/resellers', label: 'admin.nav.resellers' },
  { href: '/admin/deposits', label: 'admin.nav.deposits' },
  { href: '/admin/catalog', label: 'admin.nav.catalog' },
  { href: '/admin/suppliers', label: 'admin.nav.suppliers' },
  { href: '/admin/callbacks', label: 'admin.nav.callbacks' },
  { href: '/admin/audit', label: 'admin.nav.audit' },
  { href: '/admin/ledger', label: 'admin.nav.ledger' },
  { href: '/admin/operators', label: 'admin.nav.operators' },
  { href: '/admin/account', label: 'admin.nav.account' },
];

const routes: Route[] = [
  { path: '/admin/login', page: LoginPage, public: true },
  { path: '/admin/setup', page: SetupPage, public: true },
  { path: '/admin', page: HomePage },
  { path: '/admin/orders', page: OrdersPage },
  { path: '/admin/orders/:invoice', page: OrderPage },
  { path: '/admin/resellers', page: ResellersPage },
  { path: '/admin/resellers/:id', page: ResellerPage },
  { path: '/admin/deposits', page: DepositsPage },
  { path: '/admin/catalog', page: CatalogPage },
  { path: '/admin/suppliers', page: SuppliersPage },
  { path: '/admin/callbacks', page: CallbacksPage },
  { path: '/admin/audit', page: AuditPage },
  { path: '/admin/ledger', page: LedgerPage },
  { path: '/admin/operators', page: OperatorsPage },
  { path: '/admin/account', page: AccountPage },
];

startApp({ realm: 'admin', name: 'app.admin', routes, nav, userName: (s) => (s as AdminSession).operator.name });
