import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Alert, Button, DateTime, ErrorAlert, Field, Form, invalid, Loading, Money, Page, Table } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { Confirm, useIsOwner } from './owner';
import type { Tier } from './resellers';

interface Entry {
  id: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  orderId: string | null;
  reference: string | null;
  note: string | null;
  createdAt: number;
}
interface Detail {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  tier: Tier;
  balance: number;
  whitelist: string[];
  webhookUrl: string | null;
  merchantId: string | null;
  apiKeyMasked: string;
  disabledAt: number | null;
  createdAt: number;
  recentLedger: Entry[];
}

/** One reseller: its facts, recent ledger, and the actions (tier, balance, whitelist, webhook, disable, invite). */
export function ResellerPage({ params }: PageProps) {
  const path = `/resellers/${encodeURIComponent(params.id ?? '')}`;
  const { data, error, loading, reload } = useApi<{ reseller: Detail }>(path);
  const owner = useIsOwner();
  const [link, setLink] = useState<string | null>(null);
  if (loading && !data) return <Loading />;
  if (!data) return <ErrorAlert error={error} />;
  const r = data.reseller;
  const act = async (sub: string, body: unknown, method: 'post' | 'put' = 'post') => {
    await api[method](`${path}${sub}`, body);
    reload();
  };
  return (
    <Page title={r.name}>
      <p>
        <a href="/admin/resellers">{t('app.back')}</a>
      </p>
      {r.disabledAt !== null && <Alert kind="error">{t('admin.reseller.isDisabled')}</Alert>}
      <dl class="facts">
        <Fact label={t('admin.resellers.balance')}>
          <span class="big" data-testid="reseller-balance">
            <Money value={r.balance} />
          </span>
        </Fact>
        <Fact label={t('admin.resellers.tier')}>{r.tier.name}</Fact>
        <Fact label={t('admin.resellers.email')}>{r.email}</Fact>
        <Fact label={t('admin.resellers.phone')}>{r.phone ?? '—'}</Fact>
        <Fact label={t('admin.reseller.id')}>{r.id}</Fact>
        <Fact label={t('admin.reseller.merchant')}>{r.merchantId ?? '—'}</Fact>
        <Fact label={t('admin.reseller.key')}>
          <code>{r.apiKeyMasked}</code>
        </Fact>
        <Fact label={t('admin.resellers.created')}>
          <DateTime ms={r.createdAt} />
        </Fact>
      </dl>

      {owner && (
        <section aria-labelledby="balance-h">
          <h2 id="balance-h">{t('admin.reseller.balanceTitle')}</h2>
          <Form
            aria-label={t('admin.reseller.balanceTitle')}
            onSubmit={async (v) => {
              const amount = Number((v.amount ?? '').replace(/[.\s]/g, ''));
              if (!Number.isSafeInteger(amount) || amount === 0) throw invalid('amount', t('admin.reseller.amountInvalid'));
              if (!v.reason?.trim()) throw invalid('reason', t('admin.reseller.reasonRequired'));
              await act('/balance', { kind: v.kind, amount, reason: v.reason, reference: v.reference?.trim() || undefined });
            }}
          >
            <Field
              name="kind"
              label={t('admin.reseller.kind')}
              options={[
                { value: 'deposit', label: t('admin.reseller.kind.deposit') },
                { value: 'adjust', label: t('admin.reseller.kind.adjust') },
              ]}
            />
            <Field name="amount" inputMode="numeric" label={t('admin.reseller.amount')} hint={t('admin.reseller.amountHint')} required />
            <Field name="reason" label={t('admin.reseller.reason')} required maxLength={500} />
            <Field name="reference" label={t('admin.reseller.reference')} hint={t('admin.reseller.referenceHint')} maxLength={100} />
            <Button type="submit">{t('admin.reseller.post')}</Button>
          </Form>
        </section>
      )}

      {owner && (
        <section aria-labelledby="tier-h">
          <h2 id="tier-h">{t('admin.reseller.tierTitle')}</h2>
          <TierForm current={r.tier.code} onSave={(tier) => act('/tier', { tier })} />
        </section>
      )}

      <section aria-labelledby="wl-h">
        <h2 id="wl-h">{t('admin.reseller.whitelist')}</h2>
        {r.whitelist.length === 0 ? (
          <p>{t('admin.reseller.whitelistEmpty')}</p>
        ) : (
          <ul class="plain">
            {r.whitelist.map((e) => (
              <li key={e}>
                <code>{e}</code> <Button kind="link" onClick={() => act('/whitelist/remove', { entry: e })}>{t('admin.reseller.remove')}</Button>
              </li>
            ))}
          </ul>
        )}
        <Form class="form form-inline" aria-label={t('admin.reseller.whitelistAdd')} onSubmit={(v) => act('/whitelist', { entry: v.entry ?? '' })}>
          <Field name="entry" label={t('admin.reseller.whitelistAdd')} hint={t('admin.reseller.whitelistHint')} />
          <Button type="submit" kind="secondary">{t('admin.reseller.add')}</Button>
        </Form>
      </section>

      <section aria-labelledby="wh-h">
        <h2 id="wh-h">{t('admin.reseller.webhook')}</h2>
        <Form class="form form-inline" aria-label={t('admin.reseller.webhook')} onSubmit={(v) => act('/webhook', { url: v.url?.trim() ? v.url : null }, 'put')}>
          <Field name="url" type="url" label={t('admin.reseller.webhookUrl')} defaultValue={r.webhookUrl ?? ''} hint={t('admin.reseller.webhookHint')} />
          <Button type="submit" kind="secondary">{t('admin.reseller.save')}</Button>
        </Form>
      </section>

      {owner && (
        <section aria-labelledby="acc-h">
          <h2 id="acc-h">{t('admin.reseller.account')}</h2>
          <div class="actions">
            {r.disabledAt === null ? (
              <Confirm kind="danger" label={t('admin.reseller.disable')} question={t('admin.reseller.disableQ', { name: r.name })} onConfirm={() => act('/disable', {})} />
            ) : (
              <Confirm label={t('admin.reseller.enable')} question={t('admin.reseller.enableQ', { name: r.name })} onConfirm={() => act('/enable', {})} />
            )}
            <Button kind="secondary" onClick={async () => setLink((await api.post<{ setupUrl: string }>(`${path}/invite`)).setupUrl)}>
              {t('admin.reseller.invite')}
            </Button>
          </div>
          {link && (
            <Alert kind="success">
              {t('admin.reseller.inviteLink')} <code data-testid="invite-link">{link}</code>
            </Alert>
          )}
        </section>
      )}

      <section aria-labelledby="ledger-h">
        <h2 id="ledger-h">{t('admin.reseller.ledger')}</h2>
        <Table<Entry>
          rows={r.recentLedger}
          rowKey={(e) => e.id}
          columns={[
            { label: t('admin.reseller.when'), render: (e) => <DateTime ms={e.createdAt} /> },
            { label: t('admin.reseller.kind'), key: 'kind' },
            { label: t('admin.reseller.amount'), align: 'right', render: (e) => <Money value={e.amount} /> },
            { label: t('admin.resellers.balance'), align: 'right', render: (e) => <Money value={e.balanceAfter} /> },
            { label: t('admin.reseller.note'), render: (e) => [e.reference, e.note].filter(Boolean).join(' · ') },
          ]}
        />
      </section>
    </Page>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function TierForm({ current, onSave }: { current: string; onSave: (tier: string) => Promise<void> }) {
  const tiers = useApi<{ items: Tier[] }>('/catalog/tiers');
  const [tier, setTier] = useState(current);
  return (
    <Form class="form form-inline" aria-label={t('admin.reseller.tierTitle')} onSubmit={() => onSave(tier)}>
      <Field
        name="tier"
        label={t('admin.resellers.tier')}
        value={tier}
        onChange={(e) => setTier((e.currentTarget as unknown as HTMLSelectElement).value)}
        options={(tiers.data?.items ?? [{ code: current, name: current }]).map((x) => ({ value: x.code, label: x.name }))}
      />
      <Button type="submit" kind="secondary" disabled={tier === current}>
        {t('admin.reseller.save')}
      </Button>
    </Form>
  );
}
