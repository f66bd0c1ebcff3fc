import { useEffect } from 'preact/hooks';
import { t } from '../../src/lib/i18n';
import { loadSession, useSession, type MemberSession } from '../../src/lib/session';
import { ErrorAlert, Money, Page } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import type { MemberOrder, Page as ListPage } from './filters';
import { OrderTable } from './orders';

/** Beranda: who is logged in, the balance (fresh on every visit) and the latest orders. */
export function HomePage() {
  const s = useSession<MemberSession>()!;
  useEffect(() => {
    // The session held since log-in carries the balance of that moment.
    loadSession().catch(() => {});
  }, []);
  const recent = useApi<ListPage<MemberOrder>>('/orders', { limit: 5 });
  return (
    <Page title={t('member.home.title')}>
      <p>{t('member.home.welcome', { name: s.reseller.name })}</p>
      <dl class="facts">
        <div>
          <dt>{t('member.home.balance')}</dt>
          <dd class="big" data-testid="balance">
            <Money value={s.reseller.balance} />
          </dd>
        </div>
        <div>
          <dt>{t('member.home.tier')}</dt>
          <dd>{s.reseller.tier.name}</dd>
        </div>
        <div>
          <dt>{t('member.home.email')}</dt>
          <dd>{s.reseller.email}</dd>
        </div>
      </dl>
      <h2>{t('member.home.recent')}</h2>
      <ErrorAlert error={recent.error} />
      {recent.data && <OrderTable rows={recent.data.items} />}
      <p>
        <a href="/member/orders">{t('member.home.allOrders')}</a>
      </p>
    </Page>
  );
}
