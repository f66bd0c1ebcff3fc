import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Alert, Button, DateTime, ErrorAlert, Field, Form, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { useIsOwner } from './owner';

interface Row {
  id: string;
  name: string;
  email: string;
  tier: string;
  balance: number;
  disabled: boolean;
  createdAt: number;
}
export interface Tier {
  code: string;
  name: string;
}

/** Reseller: search, the list in keyset pages, and (owners) a new reseller with its key shown once. */
export function ResellersPage(_: PageProps) {
  const pager = usePager();
  const [q, setQ] = useState('');
  const { data, error, loading } = useApi<{ items: Row[]; nextCursor: string | null }>('/resellers', { q, cursor: pager.cursor, limit: 50 });
  const owner = useIsOwner();
  return (
    <Page title={t('admin.resellers.title')}>
      <Form
        class="form form-inline"
        aria-label={t('admin.resellers.search')}
        onSubmit={(v) => {
          setQ(v.q ?? '');
          pager.reset();
        }}
      >
        <Field name="q" type="search" label={t('admin.resellers.search')} hint={t('admin.resellers.searchHint')} />
        <Button type="submit" kind="secondary">{t('admin.resellers.searchButton')}</Button>
      </Form>
      <ErrorAlert error={error} />
      {loading && !data ? (
        <Loading />
      ) : (
        <>
          <Table<Row>
            caption={t('admin.resellers.title')}
            rows={data?.items ?? []}
            rowKey={(r) => r.id}
            columns={[
              { label: t('admin.resellers.name'), render: (r) => <a href={`/admin/resellers/${encodeURIComponent(r.id)}`}>{r.name}</a> },
              { label: t('admin.resellers.email'), key: 'email' },
              { label: t('admin.resellers.tier'), key: 'tier' },
              { label: t('admin.resellers.balance'), align: 'right', render: (r) => <Money value={r.balance} /> },
              { label: t('admin.resellers.status'), render: (r) => (r.disabled ? <span class="badge badge-off">{t('admin.resellers.disabled')}</span> : t('admin.resellers.active')) },
              { label: t('admin.resellers.created'), render: (r) => <DateTime ms={r.createdAt} dateOnly /> },
            ]}
          />
          <Pager pager={pager} nextCursor={data?.nextCursor} />
        </>
      )}
      {owner && <CreateReseller />}
    </Page>
  );
}

function CreateReseller() {
  const tiers = useApi<{ items: Tier[] }>('/catalog/tiers');
  const [created, setCreated] = useState<{ id: string; name: string; apiKey: string; setupUrl: string } | null>(null);
  return (
    <section aria-labelledby="new-reseller">
      <h2 id="new-reseller">{t('admin.resellers.create')}</h2>
      {created && (
        <Alert kind="success">
          <p>{t('admin.resellers.created.ok', { name: created.name })}</p>
          <p>
            {t('admin.resellers.created.key')} <code data-testid="new-api-key">{created.apiKey}</code>
          </p>
          <p>
            {t('admin.resellers.created.link')} <code data-testid="new-setup-link">{created.setupUrl}</code>
          </p>
          <p>
            <a href={`/admin/resellers/${encodeURIComponent(created.id)}`}>{t('admin.resellers.open')}</a>
          </p>
        </Alert>
      )}
      <Form
        aria-label={t('admin.resellers.create')}
        onSubmit={async (v) => {
          const r = await api.post<{ reseller: { id: string; name: string }; apiKey: string; setupUrl: string }>('/resellers', { name: v.name, email: v.email, phone: v.phone || null, tier: v.tier });
          setCreated({ id: r.reseller.id, name: r.reseller.name, apiKey: r.apiKey, setupUrl: r.setupUrl });
        }}
      >
        <Field name="name" label={t('admin.resellers.name')} required maxLength={100} />
        <Field name="email" type="email" label={t('admin.resellers.email')} required />
        <Field name="phone" type="tel" label={t('admin.resellers.phone')} />
        <Field name="tier" label={t('admin.resellers.tier')} options={(tiers.data?.items ?? [{ code: 'member', name: 'Member' }]).map((x) => ({ value: x.code, label: x.name }))} />
        <Button type="submit">{t('admin.resellers.createButton')}</Button>
      </Form>
    </section>
  );
}
