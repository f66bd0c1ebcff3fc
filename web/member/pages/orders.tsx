import { useState } from 'preact/hooks';
import type { Query } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Button, DateTime, ErrorAlert, Field, Form, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { dayRange, ORDER_STATUSES, type MemberOrder, type Page as ListPage } from './filters';

export function OrderTable({ rows }: { rows: MemberOrder[] }) {
  return (
    <Table
      rows={rows}
      rowKey={(o) => o.invoice}
      columns={[
        { label: t('member.col.time'), render: (o) => <DateTime ms={o.createdAt} /> },
        { label: t('member.col.invoice'), render: (o) => <a href={`/member/orders/${encodeURIComponent(o.invoice)}`}>{o.invoice}</a> },
        { label: t('member.col.product'), render: (o) => `${o.productName} (${o.productCode})` },
        { label: t('member.col.destination'), render: (o) => (o.serverId ? `${o.userId} (${o.serverId})` : o.userId) },
        { label: t('member.col.amount'), align: 'right', render: (o) => <Money value={o.amount} /> },
        { label: t('member.col.status'), render: (o) => <span class={`status status-${o.status.toLowerCase()}`}>{o.status}</span> },
      ]}
    />
  );
}

/** Pesanan: search (invoice, trx_id or destination), status and dates, keyset pages. */
export function OrdersPage() {
  const pager = usePager();
  const [filter, setFilter] = useState<Query>({});
  const { data, error, loading } = useApi<ListPage<MemberOrder>>('/orders', { ...filter, cursor: pager.cursor });
  return (
    <Page title={t('member.orders.title')}>
      <Form
        class="filters"
        aria-label={t('member.filter.search')}
        onSubmit={(v) => {
          setFilter({ q: v.q?.trim() || undefined, status: v.status || undefined, ...dayRange(v) });
          pager.reset();
        }}
      >
        <Field name="q" type="search" label={t('member.filter.search')} hint={t('member.orders.searchHint')} />
        <Field name="status" label={t('member.filter.status')} options={[{ value: '', label: t('member.filter.all') }, ...ORDER_STATUSES.map((s) => ({ value: s, label: s }))]} />
        <Field name="from" type="date" label={t('member.filter.from')} />
        <Field name="to" type="date" label={t('member.filter.to')} />
        <Button type="submit">{t('member.filter.search')}</Button>
      </Form>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && <OrderTable rows={data.items} />}
      <Pager pager={pager} nextCursor={data?.nextCursor} />
    </Page>
  );
}

interface History {
  at: number;
  type: string;
  from: string | null;
  to: string | null;
  reason: string | null;
}

/** One order and its status history. */
export function OrderPage({ params }: PageProps) {
  const invoice = params.invoice ?? '';
  const { data, error, loading } = useApi<{ order: MemberOrder; history: History[] }>(`/orders/${encodeURIComponent(invoice)}`);
  const o = data?.order;
  return (
    <Page title={t('member.order.title', { invoice })}>
      <p>
        <a href="/member/orders">{t('app.back')}</a>
      </p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {o && data && (
        <>
          <dl class="facts">
            {(
              [
                [t('member.col.status'), <strong>{o.status}</strong>],
                [t('member.col.product'), `${o.productName} (${o.productCode})`],
                [t('member.col.destination'), [o.userId, o.serverId && `(${o.serverId})`, o.nickname && `· ${o.nickname}`].filter(Boolean).join(' ')],
                [t('member.col.amount'), <Money value={o.amount} />],
                [t('member.order.trxId'), o.trxId ?? '—'],
                [t('member.order.sn'), o.sn ?? '—'],
                [t('member.order.voucher'), o.voucher ?? '—'],
                [t('member.order.note'), o.responseNote],
                [t('member.order.refunded'), <Money value={o.refundedAmount} />],
                [t('member.order.created'), <DateTime ms={o.createdAt} />],
                [t('member.order.completed'), <DateTime ms={o.completedAt} />],
              ] as const
            ).map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          <h2>{t('member.order.history')}</h2>
          <ol class="history">
            {data.history.map((h, i) => (
              <li key={i}>
                <DateTime ms={h.at} /> — {h.type === 'created' ? t('member.order.event.created') : t('member.order.event.status', { from: h.from ?? '?', to: h.to ?? '?' })}
                {h.reason && <span class="hint"> ({h.reason})</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </Page>
  );
}
