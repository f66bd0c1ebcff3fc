import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { useApi } from '../../src/lib/use-api';
import { Alert, Button, DateTime, ErrorAlert, Loading, Page, Table } from '../../src/lib/ui';

interface Verification {
  ok: boolean;
  violations: number;
  at: number;
}
type Result = Verification & { details: { kind: string; subject: string; detail: string }[] };

/** Ledger: the verifier's last result, and "verify now". */
export function LedgerPage() {
  const { data, error, loading, reload } = useApi<{ last: Verification | null }>('/ledger/verification');
  const [result, setResult] = useState<Result | null>(null);
  const last = data?.last ?? null;
  return (
    <Page title={t('ops.ledgerTitle')}>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <dl class="facts">
          <div>
            <dt>{t('ops.lastCheck')}</dt>
            <dd data-testid="ledger-last">{last === null ? t('ops.ledgerNever') : last.ok ? t('ops.ledgerOk') : t('ops.ledgerBad', { n: last.violations })}</dd>
          </div>
          <div>
            <dt>{t('ops.when')}</dt>
            <dd>
              <DateTime ms={last?.at} />
            </dd>
          </div>
        </dl>
      )}
      <p>
        <Button
          onClick={async () => {
            setResult((await api.post<{ result: Result }>('/ledger/verify', {})).result);
            reload();
          }}
        >
          {t('ops.verifyNow')}
        </Button>
      </p>
      {result && (
        <>
          <Alert kind={result.ok ? 'success' : 'error'}>{result.ok ? t('ops.ledgerOk') : t('ops.ledgerBad', { n: result.violations })}</Alert>
          {!result.ok && (
            <Table
              columns={[
                { label: t('ops.kind'), render: (v) => v.kind },
                { label: t('ops.target'), render: (v) => v.subject },
                { label: t('ops.data'), render: (v) => v.detail },
              ]}
              rows={result.details}
              rowKey={(v) => `${v.kind}:${v.subject}`}
            />
          )}
        </>
      )}
    </Page>
  );
}
