import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { Button, EmptyState, ErrorAlert, Field, Form, Loading, Page } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';

interface Whitelist {
  entries: string[];
  yourIp: string;
}

/** Whitelist IP: the list, add (the caller's own address offered), remove. */
export function WhitelistPage() {
  const { data, error, loading, reload } = useApi<Whitelist>('/whitelist');
  const [entry, setEntry] = useState('');
  return (
    <Page title={t('member.whitelist.title')}>
      <p>{t('member.whitelist.intro')}</p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          {data.entries.length === 0 ? (
            <EmptyState>{t('member.whitelist.empty')}</EmptyState>
          ) : (
            <ul class="list" data-testid="whitelist">
              {data.entries.map((e) => (
                <li key={e}>
                  <span class="mono">{e}</span>{' '}
                  <Button
                    kind="secondary"
                    onClick={async () => {
                      await api.post('/whitelist/remove', { entry: e });
                      reload();
                    }}
                  >
                    {t('member.whitelist.remove')}
                  </Button>
                </li>
              ))}
            </ul>
          )}
          <Form
            aria-label={t('member.whitelist.add')}
            onSubmit={async () => {
              await api.post('/whitelist', { entry });
              setEntry('');
              reload();
            }}
          >
            <Field
              name="entry"
              label={t('member.whitelist.entry')}
              hint={t('member.whitelist.yourIp', { ip: data.yourIp })}
              value={entry}
              onInput={(e) => setEntry(e.currentTarget.value)}
              autoComplete="off"
            />
            <div class="row">
              <Button kind="secondary" onClick={() => setEntry(data.yourIp)}>
                {t('member.whitelist.useMine')}
              </Button>
              <Button type="submit">{t('member.whitelist.add')}</Button>
            </div>
          </Form>
        </>
      )}
    </Page>
  );
}
