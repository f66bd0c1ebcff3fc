import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { t } from '../lib/i18n';
import { Alert, Button, Field, Form, invalid } from '../lib/ui';

const WRONG = { INVALID_CREDENTIALS: 'account.password.wrong' } as const;

/**
 * "Change password", the same on both dashboards (`POST /api/<realm>/auth/password`): the current
 * password again, the new one twice. Other browsers are logged out; this one stays.
 */
export function ChangePassword() {
  const [done, setDone] = useState(false);
  const [round, setRound] = useState(0);
  return (
    <section aria-labelledby="pw-title">
      <h2 id="pw-title">{t('account.password.title')}</h2>
      {done && <Alert kind="success">{t('account.password.done')}</Alert>}
      <Form
        key={round}
        byCode={WRONG}
        aria-label={t('account.password.title')}
        onSubmit={async (v) => {
          setDone(false);
          if ((v.next ?? '') !== (v.again ?? '')) throw invalid('again', t('account.password.mismatch'));
          await api.post('/auth/password', { current: v.current ?? '', next: v.next ?? '' });
          setDone(true);
          setRound((n) => n + 1);
        }}
      >
        <Field name="current" type="password" autoComplete="current-password" label={t('account.password.current')} required />
        <Field name="next" type="password" autoComplete="new-password" minLength={10} label={t('account.password.next')} hint={t('account.password.hint')} required />
        <Field name="again" type="password" autoComplete="new-password" label={t('account.password.again')} required />
        <Button type="submit">{t('account.password.submit')}</Button>
      </Form>
    </section>
  );
}
