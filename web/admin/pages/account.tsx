import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t, type MessageKey } from '../../src/lib/i18n';
import { setSession, useSession, type AdminSession } from '../../src/lib/session';
import { Alert, Button, Field, Form, Page } from '../../src/lib/ui';
import { ChangePassword } from '../../src/pages/password';

interface Enrolment {
  secret: string;
  otpauthUrl: string;
  qrSvg: string;
}

/** Akun saya: the operator's own TOTP second factor (on, off) and password. */
export function AccountPage() {
  const s = useSession<AdminSession>();
  // Said after the section switched between on and off (the session now says which).
  const [note, setNote] = useState<MessageKey | null>(null);
  if (!s) return null;
  const op = s.operator;
  return (
    <Page title={t('account.title')}>
      <dl class="facts">
        <div>
          <dt>{t('account.name')}</dt>
          <dd>{op.name}</dd>
        </div>
        <div>
          <dt>{t('account.email')}</dt>
          <dd>{op.email}</dd>
        </div>
        <div>
          <dt>{t('admin.operators.role')}</dt>
          <dd>{t(op.role === 'owner' ? 'admin.operators.owner' : 'admin.operators.staff')}</dd>
        </div>
      </dl>
      <section aria-labelledby="totp-title">
        <h2 id="totp-title">{t('account.totp.title')}</h2>
        {note && <Alert kind="success">{t(note)}</Alert>}
        {op.totpEnabled ? <TotpOff done={() => setNote('account.totp.disabled')} /> : <TotpOn done={() => setNote('account.totp.enabled')} />}
      </section>
      <ChangePassword />
    </Page>
  );
}

/** Enrol: a new secret as a QR code (SVG drawn by the server, no image URL) and as text, then a code to confirm. */
function TotpOn({ done }: { done: () => void }) {
  const [e, setE] = useState<Enrolment | null>(null);
  if (!e) {
    return (
      <>
        <p>{t('account.totp.off')}</p>
        <Button onClick={async () => setE(await api.post<Enrolment>('/auth/totp/enroll'))}>{t('account.totp.start')}</Button>
      </>
    );
  }
  return (
    <>
      <p>{t('account.totp.scan')}</p>
      {/* The server's SVG (uqr): rects and one path, no script; inline, so the CSP needs no data: URL. */}
      <div class="qr" role="img" aria-label={t('account.totp.qr')} data-testid="totp-qr" dangerouslySetInnerHTML={{ __html: e.qrSvg }} />
      <p>
        {t('account.totp.secret')} <code class="mono" data-testid="totp-secret">{e.secret.match(/.{1,4}/g)?.join(' ')}</code>
      </p>
      <Form
        aria-label={t('account.totp.confirm')}
        onSubmit={async (v) => {
          const r = await api.post<{ session: AdminSession }>('/auth/totp/confirm', { code: (v.code ?? '').replace(/\s/g, '') });
          setSession(r.session);
          done();
        }}
      >
        <Field name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} label={t('account.totp.code')} required />
        <Button type="submit">{t('account.totp.confirm')}</Button>
      </Form>
    </>
  );
}

function TotpOff({ done }: { done: () => void }) {
  return (
    <>
      <p>{t('account.totp.on')}</p>
      <Form
        aria-label={t('account.totp.disable')}
        onSubmit={async (v) => {
          const r = await api.post<{ session: AdminSession }>('/auth/totp/disable', { password: v.password ?? '', code: (v.code ?? '').replace(/\s/g, '') });
          setSession(r.session);
          done();
        }}
      >
        <Field name="password" type="password" autoComplete="current-password" label={t('account.password.current')} required />
        <Field name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} label={t('account.totp.code')} required />
        <Button type="submit" kind="danger">{t('account.totp.disable')}</Button>
      </Form>
    </>
  );
}
