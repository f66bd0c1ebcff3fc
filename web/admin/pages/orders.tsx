import { useState } from 'preact/hooks';
import { t } from '../../src/lib/i18n';
import { navigate, type PageProps } from '../../src/lib/router';
import { useSession } from '../../src/lib/session';
import { useApi } from '../../src/lib/use-api';
import { Button, DateTime, ErrorAlert, Field, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { destination, zoneMidnight, type AdminOrder, type Page as ListPage } from './ops';

const STATUSES = ['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'];
const FIELDS = ['invoice', 'trxId', 'destination', 'reseller', 'status', 'from', 'to'] as const;

/** Pesanan: search across resellers; the filters live in the URL, so a search can be shared or reloaded. */
export function OrdersPage({ query }: PageProps) {
  const timeZone = useSession()!.timeZone;
  const f = Object.fromEntries(FIELDS.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof FIELDS)[number], string>;
  const pager = usePager();
  const [key, setKey] = useState(query.toString());
  if (key !== query.toString()) {
    setKey(query.toString());
    pager.reset();
  }
  const from = zoneMidnight(f.from, timeZone);
  const toDay = zoneMidnight(f.to, timeZone);
  const { data, error, loading } = useApi<ListPage<AdminOrder>>('/orders', {
    invoice: f.invoice,
    trxId: f.trxId,
    destination: f.destination,
    reseller: f.reseller,
    status: f.status,
    from,
    // "To" includes that whole day.
    to: toDay === undefined ? undefined : toDay + 86_400_000,
    cursor: pager.cursor,
  });
  function search(e: Event) {
    e.preventDefault();
    const qs = new URLSearchParams();
    new FormData(e.currentTarget as HTMLFormElement).forEach((v, k) => typeof v === 'string' && v.trim() && qs.set(k, v.trim()));
    navigate(`/admin/orders${qs.toString() ? `?${qs}` : ''}`);
  }
  return (
    <Page title={t('admin.nav.orders')}>
      <form class="filters" role="search" onSubmit={search} aria-label={t('ops.search')}>
        <Field name="invoice" label={t('ops.invoice')} defaultValue={f.invoice} />
        <Field name="trxId" label={t('ops.trxId')} defaultValue={f.trxId} />
        <Field name="destination" label={t('ops.destination')} defaultValue={f.destination} />
        <Field name="reseller" label={t('ops.reseller')} defaultValue={f.reseller} />
        <Field name="status" label={t('ops.status')} value={f.status} options={[{ value: '', label: t('ops.anyStatus') }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
        <Field name="from" type="date" label={t('ops.from')} defaultValue={f.from} />
        <Field name="to" type="date" label={t('ops.to')} defaultValue={f.to} />
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
              { label: t('ops.invoice'), render: (o) => <a href={`/admin/orders/${encodeURIComponent(o.invoiceNumber)}`}>{o.invoiceNumber}</a> },
              { label: t('ops.created'), render: (o) => <DateTime ms={o.createdAt} /> },
              { label: 'Reseller', render: (o) => o.resellerName },
              { label: t('ops.product'), render: (o) => o.productName },
              { label: t('ops.destination'), render: destination },
              { label: t('ops.amount'), align: 'right', render: (o) => <Money value={o.amount} /> },
              { label: t('ops.status'), render: (o) => <span data-testid="status">{o.status}</span> },
            ]}
            rows={data.items}
            rowKey={(o) => o.invoiceNumber}
          />
          <Pager pager={pager} nextCursor={data.nextCursor} />
        </>
      )}
    </Page>
  );
}
