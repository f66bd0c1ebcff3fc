import { useEffect, useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { formatRupiah } from '../../src/lib/format';
import { t, type MessageKey } from '../../src/lib/i18n';
import { Button, DateTime, EmptyState, ErrorAlert, Field, Form, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import type { Page as ListPage } from './filters';

interface Bank {
  code: string;
  bank: string;
  number: string;
  holder: string;
}

interface Ticket {
  id: string;
  amount: number;
  uniqueCode: number;
  total: number;
  status: string;
  bank: Bank | null;
  expiresAt: number;
  createdAt: number;
  confirmedAt: number | null;
}

const statusLabel = (s: string) => t(`member.deposit.status.${s}` as MessageKey);

/** Minutes and seconds until `at`, ticking every second; null once past. */
function useCountdown(at: number): string | null {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const left = Math.max(0, Math.floor((at - now) / 1000));
  if (left === 0) return null;
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
}

/** The ticket to act on: the exact sum in big type, where to send it, and until when. */
function TicketCard({ ticket, onCancel }: { ticket: Ticket; onCancel: () => Promise<void> }) {
  const left = useCountdown(ticket.expiresAt);
  return (
    <section class="ticket" aria-labelledby="ticket-h" data-testid="ticket">
      <h2 id="ticket-h">
        {t('member.deposit.ticket')} <span class="mono">{ticket.id}</span>
      </h2>
      <p>{t('member.deposit.transfer')}</p>
      <p class="huge" data-testid="ticket-total">
        {formatRupiah(ticket.total)}
      </p>
      <p class="hint">{t('member.deposit.uniqueCode', { code: String(ticket.uniqueCode).padStart(3, '0') })}</p>
      {ticket.bank && (
        <p>
          {t('member.deposit.to')}: <strong>{ticket.bank.bank}</strong> <span class="mono">{ticket.bank.number}</span> a.n. {ticket.bank.holder}
        </p>
      )}
      <p>
        {t('member.deposit.expires')}: <DateTime ms={ticket.expiresAt} /> {left && <span>({t('member.deposit.left', { time: left })})</span>}
      </p>
      {ticket.status === 'pending' && (
        <Button kind="secondary" onClick={onCancel}>
          {t('member.deposit.cancel')}
        </Button>
      )}
    </section>
  );
}

/** Deposit: request a ticket (amount, bank), see the unique sum to transfer, the list, cancel. */
export function DepositsPage() {
  const pager = usePager();
  const banks = useApi<{ items: Bank[] }>('/deposit-banks');
  const list = useApi<ListPage<Ticket>>('/deposits', { cursor: pager.cursor });
  const [current, setCurrent] = useState<Ticket | null>(null);
  const open = current ?? list.data?.items.find((x) => x.status === 'pending') ?? null;
  const cancel = async (id: string) => {
    const tk = await api.post<Ticket>(`/deposits/${encodeURIComponent(id)}/cancel`, {});
    setCurrent(tk.status === 'pending' ? tk : null);
    list.reload();
  };
  return (
    <Page title={t('member.deposit.title')}>
      <p>{t('member.deposit.intro')}</p>
      {open && open.status === 'pending' && <TicketCard ticket={open} onCancel={() => cancel(open.id)} />}
      <ErrorAlert error={banks.error} />
      {banks.data && banks.data.items.length === 0 && <EmptyState>{t('member.deposit.noBanks')}</EmptyState>}
      {banks.data && banks.data.items.length > 0 && (
        <Form
          aria-label={t('member.deposit.request')}
          onSubmit={async (v) => {
            const amount = Number(String(v.amount ?? '').replace(/[.\s]/g, ''));
            const tk = await api.post<Ticket>('/deposits', { amount, bank: v.bank || undefined });
            setCurrent(tk);
            list.reload();
          }}
        >
          <Field name="amount" inputMode="numeric" label={t('member.deposit.amount')} required />
          <Field name="bank" label={t('member.deposit.bank')} options={banks.data.items.map((b) => ({ value: b.code, label: `${b.bank} ${b.number} (${b.holder})` }))} />
          <Button type="submit">{t('member.deposit.request')}</Button>
        </Form>
      )}
      <h2>{t('member.deposit.tickets')}</h2>
      <ErrorAlert error={list.error} />
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <Table
          rows={list.data.items}
          rowKey={(x) => x.id}
          columns={[
            { label: t('member.col.time'), render: (x) => <DateTime ms={x.createdAt} /> },
            { label: t('member.deposit.ticket'), render: (x) => <span class="mono">{x.id}</span> },
            { label: t('member.col.amount'), align: 'right', render: (x) => <Money value={x.total} /> },
            { label: t('member.col.status'), render: (x) => statusLabel(x.status) },
            { label: t('member.deposit.expires'), render: (x) => <DateTime ms={x.expiresAt} /> },
          ]}
        />
      )}
      <Pager pager={pager} nextCursor={list.data?.nextCursor} />
    </Page>
  );
}
