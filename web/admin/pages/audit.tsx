import { useState } from 'preact/hooks';
import { t } from '../../src/lib/i18n';
import { useSession, type AdminSession } from '../../src/lib/session';
import { useApi } from '../../src/lib/use-api';
import { Alert, Button, DateTime, ErrorAlert, Field, Loading, Page, Pager, Table, usePager } from '../../src/lib/ui';
import type { Page as ListPage } from './ops';

interface Entry {
  id: string;
  at: number;
  actor: { type: string; email: string | null };
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  reason: string | null;
}

const json = (v: unknown) => <pre class="json">{v === null || v === undefined ? '—' : JSON.stringify(v, null, 1)}</pre>;

/** Audit: every operator action, newest first (owners only; staff is told so, the API refuses them too). */
export function AuditPage() {
  const owner = useSession<AdminSession>()!.operator.role === 'owner';
  return <Page title={t('ops.auditTitle')}>{owner ? <AuditList /> : <Alert kind="info">{t('ops.ownerOnly')}</Alert>}</Page>;
}

function AuditList() {
  const pager = usePager();
  const [filters, setFilters] = useState({ actor: '', action: '', target: '' });
  const { data, error, loading } = useApi<ListPage<Entry>>('/audit', { ...filters, cursor: pager.cursor });
  function apply(e: Event) {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setFilters({ actor: String(f.get('actor') ?? '').trim(), action: String(f.get('action') ?? '').trim(), target: String(f.get('target') ?? '').trim() });
    pager.reset();
  }
  return (
    <>
      <form class="filters" role="search" onSubmit={apply} aria-label={t('ops.search')}>
        <Field name="actor" label={t('ops.actor')} />
        <Field name="action" label={t('ops.action')} placeholder="order.refund" />
        <Field name="target" label={t('ops.auditTarget')} />
        <div>
          <Button type="submit">{t('ops.search')}</Button>
        </div>
      </form>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <Table
            columns={[
              { label: t('ops.when'), render: (e) => <DateTime ms={e.at} /> },
              { label: t('ops.actor'), render: (e) => e.actor.email ?? e.actor.type },
              { label: t('ops.action'), render: (e) => e.action },
              { label: t('ops.target'), render: (e) => `${e.target.type} ${e.target.id ?? ''}` },
              { label: t('ops.before'), render: (e) => json(e.before) },
              { label: t('ops.after'), render: (e) => json(e.after) },
              { label: t('ops.reason'), render: (e) => e.reason ?? '—' },
            ]}
            rows={data.items}
            rowKey={(e) => e.id}
          />
          <Pager pager={pager} nextCursor={data.nextCursor} />
        </>
      )}
    </>
  );
}
