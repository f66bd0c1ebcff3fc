import { t } from '../../src/lib/i18n';
import { useSession, type AdminSession } from '../../src/lib/session';
import { Page } from '../../src/lib/ui';

/** Ringkasan: for now who is logged in; the day's numbers come with the summary API. */
export function HomePage() {
  const { operator } = useSession<AdminSession>()!;
  return (
    <Page title={t('admin.home.title')}>
      <p>{t('admin.home.welcome', { name: operator.name })}</p>
      <dl class="facts">
        <div>
          <dt>{t('admin.home.role')}</dt>
          <dd data-testid="role">{t(operator.role === 'owner' ? 'admin.role.owner' : 'admin.role.staff')}</dd>
        </div>
        <div>
          <dt>{t('admin.home.email')}</dt>
          <dd>{operator.email}</dd>
        </div>
        <div>
          <dt>{t('admin.home.totp')}</dt>
          <dd>{t(operator.totpEnabled ? 'admin.home.totpOn' : 'admin.home.totpOff')}</dd>
        </div>
      </dl>
    </Page>
  );
}
