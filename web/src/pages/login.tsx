import { useState } from 'preact/hooks';
import { api, ApiError, getRealm } from '../lib/api';
import { Redirect } from '../lib/app';
import { t } from '../lib/i18n';
import type { PageProps } from '../lib/router';
import { setSession, useSession, type Session } from '../lib/session';
import { Alert, Bare, Button, Field, Form, Page } from '../lib/ui';

/**
 * Log-in for both realms. The TOTP field appears when the API answers TOTP_REQUIRED (operators
 * with a second factor); email and password stay filled so the code is the only thing to add.
 */
export function LoginPage({ query }: PageProps) {
  const realm = getRealm();
  const session = useSession();
  const [needsTotp, setNeedsTotp] = useState(false);
  if (session) return <Redirect to={safeNext(query.get('next'))} />;

  async function login(v: Record<string, string>) {
    const body = { email: v.email?.trim(), password: v.password, ...(needsTotp ? { totp: v.totp?.trim() } : {}) };
    try {
      const { session } = await api.post<{ session: Session }>('/auth/login', body);
      setSession(session);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'TOTP_REQUIRED' && !needsTotp) {
        setNeedsTotp(true);
        return;
      }
      throw e;
    }
  }

  return (
    <Bare>
      <Page title={t('login.title')}>
        {query.get('out') && <Alert kind="success">{t('login.loggedOut')}</Alert>}
        {query.get('expired') && <Alert>{t('login.expired')}</Alert>}
        <Form onSubmit={login} aria-label={t('login.title')}>
          <Field name="email" type="email" label={t('login.email')} autoComplete="username" required autoFocus={!needsTotp} />
          <Field name="password" type="password" label={t('login.password')} autoComplete="current-password" required />
          {realm === 'admin' && needsTotp && (
            <Field name="totp" label={t('login.totp')} hint={t('login.totpHint')} inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]*" maxLength={6} required autoFocus />
          )}
          <Button type="submit">{t('login.submit')}</Button>
        </Form>
      </Page>
    </Bare>
  );
}

/** Only a path of this realm: `?next=` must not send the user to another site. */
function safeNext(next: string | null): string {
  const base = `/${getRealm()}`;
  if (next && (next === base || next.startsWith(`${base}/`)) && !next.startsWith(`${base}/login`)) return next;
  return base;
}
