import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Count, DateTime, ErrorAlert, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import type { Page as ListPage } from './filters';

interface Stats {
  pending: number;
  success: number;
  process: number;
  error_engine: number;
  error_voucher: number;
}
interface Project {
  projectId: string;
  total: number;
  fee: number;
  status: string;
  stats: Stats;
  createdAt: number;
  completedAt: number | null;
}
interface Voucher {
  n: number;
  code: string;
  status: string;
  nominal: number;
  note: string;
  updatedAt: number;
}

const projectColumns = () => [
  { label: t('member.col.time'), render: (p: Project) => <DateTime ms={p.createdAt} /> },
  { label: t('member.redeem.project'), render: (p: Project) => <a href={`/member/redeem/${encodeURIComponent(p.projectId)}`}>{p.projectId}</a> },
  { label: t('member.redeem.total'), align: 'right' as const, render: (p: Project) => <Count value={p.total} /> },
  { label: t('member.redeem.success'), align: 'right' as const, render: (p: Project) => <Count value={p.stats.success} /> },
  { label: t('member.redeem.failed'), align: 'right' as const, render: (p: Project) => <Count value={p.stats.error_engine + p.stats.error_voucher} /> },
  { label: t('member.redeem.pending'), align: 'right' as const, render: (p: Project) => <Count value={p.stats.pending + p.stats.process} /> },
  { label: t('member.redeem.fee'), align: 'right' as const, render: (p: Project) => <Money value={p.fee} /> },
];

/** Redeem: the reseller's voucher-redeem projects. */
export function RedeemPage() {
  const pager = usePager();
  const { data, error, loading } = useApi<ListPage<Project>>('/redeem/projects', { cursor: pager.cursor });
  return (
    <Page title={t('member.redeem.title')}>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && <Table rows={data.items} rowKey={(p) => p.projectId} columns={projectColumns()} />}
      <Pager pager={pager} nextCursor={data?.nextCursor} />
    </Page>
  );
}

/** One project and its vouchers (codes partly masked). */
export function RedeemProjectPage({ params }: PageProps) {
  const id = params.id ?? '';
  const pager = usePager();
  const { data, error, loading } = useApi<{ project: Project; vouchers: Voucher[]; nextCursor: string | null }>(`/redeem/projects/${encodeURIComponent(id)}`, { cursor: pager.cursor });
  return (
    <Page title={t('member.redeem.projectTitle', { id })}>
      <p>
        <a href="/member/redeem">{t('app.back')}</a>
      </p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <Table rows={[data.project]} rowKey={(p) => p.projectId} columns={projectColumns()} />
          <Table
            rows={data.vouchers}
            rowKey={(v) => String(v.n)}
            columns={[
              { label: t('member.redeem.n'), align: 'right', render: (v) => <Count value={v.n} /> },
              { label: t('member.redeem.code'), render: (v) => <span class="mono">{v.code}</span> },
              { label: t('member.col.status'), key: 'status' },
              { label: t('member.redeem.nominal'), align: 'right', render: (v) => <Count value={v.nominal} /> },
              { label: t('member.col.note'), key: 'note' },
              { label: t('member.col.time'), render: (v) => <DateTime ms={v.updatedAt} /> },
            ]}
          />
          <Pager pager={pager} nextCursor={data.nextCursor} />
        </>
      )}
    </Page>
  );
}
