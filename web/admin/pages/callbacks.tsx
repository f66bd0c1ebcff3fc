import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { useApi } from '../../src/lib/use-api';
import { Button, DateTime, ErrorAlert, Loading, Page, Pager, Table, usePager } from '../../src/lib/ui';
import type { Page as ListPage } from './ops';

interface Failing {
  jobId: string;
  invoiceNumber: string;
  resellerName: string;
  target: string;
  attempts: number;
  lastError: string | null;
  nextRetryAt: number | null;
}

/** Callback: orders' latest callbacks whose last attempt failed, with a resend each. */
export function CallbacksPage() {
  const pager = usePager();
  const { data, error, loading, reload } = useApi<ListPage<Failing>>('/callbacks/failing', { cursor: pager.cursor });
  return (
    <Page title={t('ops.failingTitle')}>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <Table
            columns={[
              { label: t('ops.invoice'), render: (c) => <a href={`/admin/orders/${encodeURIComponent(c.invoiceNumber)}`}>{c.invoiceNumber}</a> },
              { label: 'Reseller', render: (c) => c.resellerName },
              { label: t('ops.target'), render: (c) => c.target },
              { label: t('ops.tries'), align: 'right', render: (c) => c.attempts },
              { label: t('ops.lastError'), render: (c) => c.lastError ?? '—' },
              { label: t('ops.nextRetry'), render: (c) => (c.nextRetryAt === null ? t('ops.givenUp') : <DateTime ms={c.nextRetryAt} />) },
              {
                label: t('ops.actions'),
                render: (c) => (
                  <Button
                    kind="secondary"
                    onClick={async () => {
                      await api.post(`/orders/${encodeURIComponent(c.invoiceNumber)}/resend-callback`, {});
                      reload();
                    }}
                  >
                    {t('ops.resend')}
                  </Button>
                ),
              },
            ]}
            rows={data.items}
            rowKey={(c) => c.jobId}
          />
          <Pager pager={pager} nextCursor={data.nextCursor} />
        </>
      )}
    </Page>
  );
}
