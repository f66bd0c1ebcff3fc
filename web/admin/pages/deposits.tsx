import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Button, DateTime, ErrorAlert, Field, Form, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { Confirm, useIsOwner } from './owner';

interface Ticket {
  id: string;
  reseller: { id: string; name: string; email: string };
  amount: number;
  uniqueCode: number;
  total: number;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired';
  bank: { code: string; bank: string; number: string; holder: string } | null;
  expiresAt: number;
  createdAt: number;
  confirmedBy: string | null;
}
interface Bank {
  code: string;
  bank: string;
  number: string;
  holder: string;
}
const STATUSES = ['pending', 'confirmed', 'cancelled', 'expired'] as const;

/**
 * Deposit: tickets waiting for their transfer, the exact total large (that is what the operator
 * matches against the bank statement), confirm or cancel after a second click.
 */
export function DepositsPage(_: PageProps) {
  const pager = usePager();
  const [status, setStatus] = useState<string>('pending');
  const { data, error, loading, reload } = useApi<{ items: Ticket[]; nextCursor: string | null }>('/deposits', { status, cursor: pager.cursor, limit: 50 });
  return (
    <Page title={t('admin.deposits.title')}>
      <div class="tabs" role="group" aria-label={t('admin.deposits.status')}>
        {STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            class={`btn ${s === status ? 'btn-primary' : 'btn-secondary'}`}
            aria-pressed={s === status}
            onClick={() => {
              setStatus(s);
              pager.reset();
            }}
          >
            {t(`admin.deposits.status.${s}`)}
          </button>
        ))}
      </div>
      <ErrorAlert error={error} />
      {loading && !data ? (
        <Loading />
      ) : (
        <>
          <Table<Ticket>
            rows={data?.items ?? []}
            rowKey={(x) => x.id}
            empty={t('admin.deposits.none')}
            columns={[
              { label: t('admin.deposits.total'), render: (x) => <span class="big" data-testid={`total-${x.id}`}><Money value={x.total} /></span> },
              { label: t('admin.deposits.reseller'), render: (x) => <a href={`/admin/resellers/${encodeURIComponent(x.reseller.id)}`}>{x.reseller.name}</a> },
              { label: t('admin.deposits.bank'), render: (x) => (x.bank ? `${x.bank.bank} ${x.bank.number}` : '—') },
              { label: t('admin.deposits.created'), render: (x) => <DateTime ms={x.createdAt} /> },
              { label: t('admin.deposits.expires'), render: (x) => <DateTime ms={x.expiresAt} /> },
              {
                label: t('admin.deposits.action'),
                render: (x) =>
                  x.status === 'pending' ? (
                    <div class="actions">
                      <Confirm label={t('admin.deposits.confirm')} question={t('admin.deposits.confirmQ', { total: formatTotal(x.total), name: x.reseller.name })} onConfirm={() => api.post(`/deposits/${x.id}/confirm`).finally(reload)} />
                      <Confirm kind="danger" label={t('admin.deposits.cancel')} question={t('admin.deposits.cancelQ')} onConfirm={() => api.post(`/deposits/${x.id}/cancel`).finally(reload)} />
                    </div>
                  ) : (
                    t(`admin.deposits.status.${x.status}`)
                  ),
              },
            ]}
          />
          <Pager pager={pager} nextCursor={data?.nextCursor} />
        </>
      )}
      <Banks />
    </Page>
  );
}

function formatTotal(n: number): string {
  return `Rp ${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
}

function Banks() {
  const { data, reload } = useApi<{ accounts: Bank[] }>('/deposits/banks');
  const owner = useIsOwner();
  return (
    <section aria-labelledby="banks-h">
      <h2 id="banks-h">{t('admin.deposits.banks')}</h2>
      <Table<Bank>
        rows={data?.accounts ?? []}
        rowKey={(b) => b.code}
        empty={t('admin.deposits.noBanks')}
        columns={[
          { label: t('admin.deposits.code'), key: 'code' },
          { label: t('admin.deposits.bank'), key: 'bank' },
          { label: t('admin.deposits.number'), key: 'number' },
          { label: t('admin.deposits.holder'), key: 'holder' },
          ...(owner ? [{ label: t('admin.deposits.action'), render: (b: Bank) => <Button kind="link" onClick={() => api.post('/deposits/banks/remove', { code: b.code }).then(reload)}>{t('admin.reseller.remove')}</Button> }] : []),
        ]}
      />
      {owner && (
        <Form class="form form-inline" aria-label={t('admin.deposits.addBank')} onSubmit={async (v) => { await api.post('/deposits/banks', { code: v.code, bank: v.bank, number: v.number, holder: v.holder }); reload(); }}>
          <Field name="code" label={t('admin.deposits.code')} maxLength={20} />
          <Field name="bank" label={t('admin.deposits.bank')} maxLength={50} />
          <Field name="number" label={t('admin.deposits.number')} inputMode="numeric" maxLength={40} />
          <Field name="holder" label={t('admin.deposits.holder')} maxLength={100} />
          <Button type="submit" kind="secondary">{t('admin.deposits.addBank')}</Button>
        </Form>
      )}
    </section>
  );
}
