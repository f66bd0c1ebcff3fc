import { useEffect } from 'preact/hooks';
import { t } from '../../src/lib/i18n';
import { loadSession, useSession, type MemberSession } from '../../src/lib/session';
import { Money, Page } from '../../src/lib/ui';

/** Beranda: who is logged in and the balance, fresh from the server on every visit. */
export function HomePage() {
  const s = useSession<MemberSession>()!;
  useEffect(() => {
    // The session held since log-in carries the balance of that moment.
    loadSession().catch(() => {});
  }, []);
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
    </Page>
  );
}
