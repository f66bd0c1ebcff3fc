import { useRef, useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { Alert, Button, CopyButton, Field, Form, Page } from '../../src/lib/ui';

const WRONG = { INVALID_CREDENTIALS: 'member.credentials.wrongPassword' } as const;

/**
 * Kredensial: the key is fetched only after the password is typed again, and forgotten when the
 * page is left. Rotating asks for confirmation first (the old key dies at once).
 */
export function CredentialsPage() {
  const [key, setKey] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState(false);
  // Which submit button was pressed (FormData leaves the submitter out).
  const chosen = useRef<'reveal' | 'rotate'>('reveal');
  return (
    <Page title={t('member.credentials.title')}>
      <p>{t('member.credentials.intro')}</p>
      {rotated && <Alert kind="success">{t('member.credentials.rotated')}</Alert>}
      {key && (
        <div class="secret">
          <label for="api-key">{t('member.credentials.key')}</label>
          <input id="api-key" class="mono" readOnly value={key} data-testid="api-key" onFocus={(e) => e.currentTarget.select()} />
          <div class="row">
            <CopyButton text={key} />
            <Button kind="link" onClick={() => setKey(null)}>
              {t('member.credentials.hide')}
            </Button>
          </div>
        </div>
      )}
      <Form
        byCode={WRONG}
        aria-label={t('member.credentials.title')}
        onSubmit={async (v) => {
          const action = v.action === 'rotate' || chosen.current === 'rotate' ? 'rotate' : 'reveal';
          chosen.current = 'reveal';
          if (action === 'rotate' && !confirming) {
            setConfirming(true);
            return;
          }
          const r = await api.post<{ apiKey: string }>(`/credentials/${action}`, { password: v.password ?? '' });
          setKey(r.apiKey);
          setRotated(action === 'rotate');
          setConfirming(false);
        }}
      >
        <Field name="password" type="password" autoComplete="current-password" label={t('member.credentials.password')} required />
        {confirming ? (
          <div class="confirm" role="alertdialog" aria-labelledby="rotate-q">
            <p id="rotate-q">{t('member.credentials.rotateConfirm')}</p>
            <input type="hidden" name="action" value="rotate" />
            <div class="row">
              <Button type="submit" kind="danger">
                {t('member.credentials.rotateYes')}
              </Button>
              <Button kind="secondary" onClick={() => setConfirming(false)}>
                {t('member.credentials.cancel')}
              </Button>
            </div>
          </div>
        ) : (
          <div class="row">
            <button type="submit" class="btn btn-primary" onClick={() => (chosen.current = 'reveal')}>
              {t('member.credentials.reveal')}
            </button>
            <button type="submit" class="btn btn-danger" onClick={() => (chosen.current = 'rotate')}>
              {t('member.credentials.rotate')}
            </button>
          </div>
        )}
      </Form>
    </Page>
  );
}
