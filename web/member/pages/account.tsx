import { t } from '../../src/lib/i18n';
import { useSession, type MemberSession } from '../../src/lib/session';
import { Page } from '../../src/lib/ui';
import { ChangePassword } from '../../src/pages/password';

/** Akun: who is logged in, and a new password. */
export function AccountPage() {
  const s = useSession<MemberSession>();
  return (
    <Page title={t('account.title')}>
      <dl class="facts">
        <div>
          <dt>{t('account.name')}</dt>
          <dd>{s?.reseller.name}</dd>
        </div>
        <div>
          <dt>{t('account.email')}</dt>
          <dd>{s?.reseller.email}</dd>
        </div>
      </dl>
      <ChangePassword />
    </Page>
  );
}
