import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { useSession, type AdminSession } from '../../src/lib/session';
import { useApi } from '../../src/lib/use-api';
import { Alert, Button, DateTime, ErrorAlert, Field, Form, invalid, Loading, Money, Page, Table } from '../../src/lib/ui';
import { destination, type AdminOrder } from './ops';

interface History {
  order: AdminOrder & { ref: string; sn: string | null; failureReason: string | null };
  events: { seq: number; at: number; type: string; data: unknown }[];
  attempts: { n: number; supplierId: string; sku: string; cost: number | null; state: string; reason: string | null; request: unknown; response: unknown; startedAt: number }[];
  callbacks: { jobId: string; status: string; target: string; attempts: number; lastError: string | null; nextRetryAt: number | null; deliveries: { attempt: number; startedAt: number; responseCode: number | null; outcome: string; error: string | null }[] }[];
  ledger: { id: string; kind: string; amount: number; balanceAfter: number; createdAt: number }[];
}

const json = (v: unknown) => <pre class="json">{v === null || v === undefined ? '—' : JSON.stringify(v, null, 1)}</pre>;

/** One order's whole history, with the operator's actions (each with a reason and a confirmation). */
export function OrderPage({ params }: PageProps) {
  const invoice = params.invoice!;
  const owner = useSession<AdminSession>()!.operator.role === 'owner';
  const { data, error, loading, reload } = useApi<History>(`/orders/${encodeURIComponent(invoice)}`);
  const [notice, setNotice] = useState<string | null>(null);
  const path = `/orders/${encodeURIComponent(invoice)}`;
  const done = (text: string) => {
    setNotice(text);
    reload();
  };
  const o = data?.order;
  return (
    <Page title={t('ops.order', { invoice })}>
      <p>
        <a href="/admin/orders">{t('app.back')}</a>
      </p>
      <ErrorAlert error={error} />
      {notice && <Alert kind="success">{notice}</Alert>}
      {loading && !data && <Loading />}
      {data && o && (
        <>
          <dl class="facts">
            <Fact label={t('ops.status')} testid="order-status">
              {o.status}
            </Fact>
            <Fact label="Reseller">{o.resellerName}</Fact>
            <Fact label={t('ops.product')}>{o.productName}</Fact>
            <Fact label={t('ops.destination')}>{destination(o)}</Fact>
            <Fact label={t('ops.amount')}>
              <Money value={o.amount} />
            </Fact>
            <Fact label={t('ops.refunded')}>
              <Money value={o.refundedAmount} />
            </Fact>
            <Fact label={t('ops.trxId')}>{o.trxId ?? '—'}</Fact>
            <Fact label={t('ops.created')}>
              <DateTime ms={o.createdAt} />
            </Fact>
            <Fact label={t('ops.note')}>{o.responseNote}</Fact>
          </dl>

          <h2>{t('ops.actions')}</h2>
          {o.status === 'PENDING' && (
            <section class="actions-box" aria-labelledby="resolve-h">
              <h3 id="resolve-h">{t('ops.resolve')}</h3>
              <Form
                aria-label={t('ops.resolve')}
                byCode={{ CONFLICT: 'ops.alreadyDone' }}
                onSubmit={async (v) => {
                  if (!v.reason?.trim()) throw invalid('reason', t('ops.reasonNeeded'));
                  if (v.confirm !== 'yes') throw invalid('confirm', t('ops.confirmNeeded'));
                  const refund = v.outcome === 'partial' ? Number(v.refund) : undefined;
                  await api.post(`${path}/resolve`, { outcome: v.outcome, reason: v.reason.trim(), ...(refund !== undefined ? { refund } : {}) });
                  done(t('ops.done'));
                }}
              >
                <Field
                  name="outcome"
                  label={t('ops.outcome')}
                  options={(['success', 'failed', 'partial'] as const).map((x) => ({ value: x, label: t(`ops.outcome.${x}`) }))}
                />
                <Field name="refund" type="number" inputMode="numeric" min={1} label={t('ops.refundAmount')} />
                <Field name="reason" label={t('ops.reason')} hint={t('ops.reasonHint')} maxLength={300} />
                <Confirm />
                <Button type="submit">{t('ops.doResolve')}</Button>
              </Form>
            </section>
          )}
          {o.status === 'SUCCESS' && (
            <section class="actions-box" aria-labelledby="refund-h">
              <h3 id="refund-h">{t('ops.refund')}</h3>
              {owner ? (
                <Form
                  aria-label={t('ops.refund')}
                  byCode={{ CONFLICT: 'ops.alreadyDone' }}
                  onSubmit={async (v) => {
                    if (!v.reason?.trim()) throw invalid('reason', t('ops.reasonNeeded'));
                    if (v.confirm !== 'yes') throw invalid('confirm', t('ops.confirmNeeded'));
                    await api.post(`${path}/refund`, { reason: v.reason.trim() });
                    done(t('ops.done'));
                  }}
                >
                  <Field name="reason" label={t('ops.reason')} hint={t('ops.reasonHint')} maxLength={300} />
                  <Confirm />
                  <Button type="submit" kind="danger">
                    {t('ops.doRefund')}
                  </Button>
                </Form>
              ) : (
                <p>{t('ops.refundOwner')}</p>
              )}
            </section>
          )}
          {data.callbacks.length > 0 && (
            <Form
              aria-label={t('ops.resend')}
              byCode={{ CONFLICT: 'ops.resendConflict' }}
              onSubmit={async () => {
                await api.post(`${path}/resend-callback`, {});
                done(t('ops.resent'));
              }}
            >
              <Button type="submit" kind="secondary">
                {t('ops.resend')}
              </Button>
            </Form>
          )}

          <h2>{t('ops.attempts')}</h2>
          <Table
            columns={[
              { label: '#', render: (a) => a.n },
              { label: t('ops.supplier'), render: (a) => `${a.supplierId} / ${a.sku}` },
              { label: t('ops.cost'), align: 'right', render: (a) => (a.cost === null ? '—' : <Money value={a.cost} />) },
              { label: t('ops.state'), render: (a) => `${a.state}${a.reason ? `: ${a.reason}` : ''}` },
              { label: 'Request', render: (a) => json(a.request) },
              { label: 'Answer', render: (a) => json(a.response) },
            ]}
            rows={data.attempts}
            rowKey={(a) => String(a.n)}
          />

          <h2>{t('ops.callbacks')}</h2>
          <Table
            columns={[
              { label: t('ops.target'), render: (c) => c.target },
              { label: t('ops.state'), render: (c) => c.status },
              { label: t('ops.tries'), align: 'right', render: (c) => c.attempts },
              { label: t('ops.lastError'), render: (c) => c.lastError ?? '—' },
              { label: t('ops.nextRetry'), render: (c) => (c.nextRetryAt === null ? '—' : <DateTime ms={c.nextRetryAt} />) },
              { label: t('ops.events'), render: (c) => c.deliveries.map((d) => `#${d.attempt} ${d.outcome}${d.responseCode ? ` ${d.responseCode}` : ''}${d.error ? ` (${d.error})` : ''}`).join('; ') || '—' },
            ]}
            rows={data.callbacks}
            rowKey={(c) => c.jobId}
          />

          <h2>{t('ops.ledgerLegs')}</h2>
          <Table
            columns={[
              { label: t('ops.when'), render: (e) => <DateTime ms={e.createdAt} /> },
              { label: t('ops.kind'), render: (e) => e.kind },
              { label: t('ops.amount'), align: 'right', render: (e) => <Money value={e.amount} /> },
              { label: t('ops.balance'), align: 'right', render: (e) => <Money value={e.balanceAfter} /> },
            ]}
            rows={data.ledger}
            rowKey={(e) => e.id}
          />

          <h2>{t('ops.events')}</h2>
          <Table
            columns={[
              { label: t('ops.when'), render: (e) => <DateTime ms={e.at} /> },
              { label: t('ops.type'), render: (e) => e.type },
              { label: t('ops.data'), render: (e) => json(e.data) },
            ]}
            rows={data.events}
            rowKey={(e) => String(e.seq)}
          />
        </>
      )}
    </Page>
  );
}

function Fact({ label, testid, children }: { label: string; testid?: string; children: preact.ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testid}>{children}</dd>
    </div>
  );
}

/** A tick box the operator must check; the form's VALIDATION issue for it shows beneath it. */
function Confirm() {
  return <Field name="confirm" type="checkbox" value="yes" label={t('ops.confirm')} />;
}
