import { api, ApiError, getRealm } from '../lib/api';
import { navigate } from '../lib/router';
import { t } from '../lib/i18n';
import { setSession, type Session } from '../lib/session';
import { Alert, Bare, Button, Field, Form, invalid, Page } from '../lib/ui';

/**
 * `/<realm>/setup#token=...`, the link `kios reseller invite` / `kios admin create` print. The token
 * sits in the fragment so it never reaches a server log or a Referer; once the password is set the
 * page is replaced in history, so the used link is not kept there either.
 */
export function SetupPage() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');

  async function setup(v: Record<string, string>) {
    const password = v.password ?? '';
    // The server's rule (10 to 200 characters), checked here too to say it in the user's language.
    if (password.length < 10) throw invalid('password', t('setup.tooShort'));
    if (password !== v.confirm) throw invalid('confirm', t('setup.mismatch'));
    try {
      const { session } = await api.post<{ session: Session }>('/auth/setup', { token, password });
      setSession(session);
    } catch (e) {
      // An unknown, used or expired token is a VALIDATION issue on `token`, a field the user never sees.
      if (e instanceof ApiError && e.issues.some((i) => i.path === 'token')) throw new ApiError(e.status, 'SETUP_LINK', e.message);
      throw e;
    }
    navigate(`/${getRealm()}`, { replace: true });
  }

  return (
    <Bare>
      <Page title={t('setup.title')}>
        {token ? (
          <Form onSubmit={setup} byCode={{ SETUP_LINK: 'setup.linkUnusable' }} aria-label={t('setup.title')}>
            <p>{t('setup.intro')}</p>
            <Field name="password" type="password" label={t('setup.password')} hint={t('setup.passwordHint')} autoComplete="new-password" required autoFocus />
            <Field name="confirm" type="password" label={t('setup.confirm')} autoComplete="new-password" required />
            <Button type="submit">{t('setup.submit')}</Button>
          </Form>
        ) : (
          <Alert kind="error">{t('setup.noToken')}</Alert>
        )}
      </Page>
    </Bare>
  );
}
