import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { Alert, Button, ErrorAlert, Field, Form, Loading, Page } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';

interface TestResult {
  url: string;
  status: number | null;
  body: string;
  elapsedMs: number;
  error: string | null;
}

/** Webhook: set or clear the callback URL, and send a signed test callback to see the answer. */
export function WebhookPage() {
  const { data, error, loading, reload } = useApi<{ url: string | null }>('/webhook');
  const [saved, setSaved] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  return (
    <Page title={t('member.webhook.title')}>
      <p>{t('member.webhook.intro')}</p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <p>
            {t('member.webhook.current')}: <span class="mono" data-testid="webhook-url">{data.url ?? t('member.webhook.none')}</span>
          </p>
          {saved && <Alert kind="success">{t('member.webhook.saved')}</Alert>}
          <Form
            aria-label={t('member.webhook.url')}
            onSubmit={async (v) => {
              await api.put('/webhook', { url: v.url?.trim() || null });
              setSaved(true);
              setResult(null);
              reload();
            }}
          >
            <Field name="url" type="url" label={t('member.webhook.url')} placeholder="https://" defaultValue={data.url ?? ''} key={data.url ?? ''} />
            <div class="row">
              <Button type="submit">{t('member.webhook.save')}</Button>
              {data.url && (
                <Button
                  kind="secondary"
                  onClick={async () => {
                    await api.put('/webhook', { url: null });
                    setResult(null);
                    reload();
                  }}
                >
                  {t('member.webhook.clear')}
                </Button>
              )}
            </div>
          </Form>
          {data.url && (
            <p>
              <Button kind="secondary" onClick={async () => setResult(await api.post<TestResult>('/webhook/test', {}))}>
                {t('member.webhook.test')}
              </Button>
            </p>
          )}
          {result && (
            <section aria-live="polite" data-testid="webhook-result">
              <h2>{t('member.webhook.result')}</h2>
              <dl class="facts">
                <div>
                  <dt>{t('member.webhook.status')}</dt>
                  <dd class={result.status !== null && result.status < 300 ? 'ok' : 'negative'}>{result.status ?? t('member.webhook.noAnswer')}</dd>
                </div>
                <div>
                  <dt>{t('member.webhook.elapsed')}</dt>
                  <dd>{t('member.webhook.ms', { ms: result.elapsedMs })}</dd>
                </div>
                {result.error && (
                  <div>
                    <dt>{t('member.webhook.error')}</dt>
                    <dd>{result.error}</dd>
                  </div>
                )}
              </dl>
              <h3>{t('member.webhook.body')}</h3>
              <pre class="mono answer">{result.body}</pre>
            </section>
          )}
        </>
      )}
    </Page>
  );
}
