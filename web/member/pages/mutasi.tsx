import { useState } from 'preact/hooks';
import { apiUrl, type Query } from '../../src/lib/api';
import { t, type MessageKey } from '../../src/lib/i18n';
import { Button, DateTime, ErrorAlert, Field, Form, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { dayRange, type Page as ListPage } from './filters';

interface Entry {
  id: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  reference: string | null;
  invoice: string | null;
  note: string | null;
  createdAt: number;
}

const KINDS = ['deposit', 'order_debit', 'refund', 'partial_refund', 'adjustment', 'redeem_fee'];
export const kindLabel = (k: string) => t(`member.kind.${k}` as MessageKey);

/** Mutasi: the ledger with kind and date filters, keyset pages, and the same filter as CSV. */
export function MutasiPage() {
  const pager = usePager();
  const [filter, setFilter] = useState<Query>({});
  const { data, error, loading } = useApi<ListPage<Entry>>('/ledger', { ...filter, cursor: pager.cursor });
  return (
    <Page title={t('member.mutasi.title')}>
      <Form
        class="filters"
        aria-label={t('member.filter.apply')}
        onSubmit={(v) => {
          setFilter({ kind: v.kind || undefined, ...dayRange(v) });
          pager.reset();
        }}
      >
        <Field name="kind" label={t('member.filter.kind')} options={[{ value: '', label: t('member.filter.all') }, ...KINDS.map((k) => ({ value: k, label: kindLabel(k) }))]} />
        <Field name="from" type="date" label={t('member.filter.from')} />
        <Field name="to" type="date" label={t('member.filter.to')} />
        <Button type="submit">{t('member.filter.apply')}</Button>
      </Form>
      <p>
        <a class="btn btn-secondary" href={apiUrl('/ledger.csv', filter)} download>
          {t('member.csv')}
        </a>
      </p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <Table
          rows={data.items}
          rowKey={(e) => e.id}
          columns={[
            { label: t('member.col.time'), render: (e) => <DateTime ms={e.createdAt} /> },
            { label: t('member.col.kind'), render: (e) => kindLabel(e.kind) },
            { label: t('member.col.amount'), align: 'right', render: (e) => <Money value={e.amount} /> },
            { label: t('member.col.balanceAfter'), align: 'right', render: (e) => <Money value={e.balanceAfter} /> },
            { label: t('member.col.reference'), render: (e) => e.reference ?? (e.invoice ? <a href={`/member/orders/${encodeURIComponent(e.invoice)}`}>{e.invoice}</a> : '') },
            { label: t('member.col.note'), key: 'note' },
          ]}
        />
      )}
      <Pager pager={pager} nextCursor={data?.nextCursor} />
    </Page>
  );
}
