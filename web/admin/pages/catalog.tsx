import { useState } from 'preact/hooks';
import { api, apiUrl } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Alert, Button, ErrorAlert, Field, Form, invalid, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { useIsOwner } from './owner';
import type { Tier } from './resellers';

interface Product {
  id: string;
  code: string;
  name: string;
  active: boolean;
  category: { id: string; code: string; title: string };
  prices: Record<string, number>;
}

/** Katalog: products with their price per tier, search, price edit, on/off, export and import. */
export function CatalogPage(_: PageProps) {
  const pager = usePager();
  const [q, setQ] = useState('');
  const tiers = useApi<{ items: Tier[] }>('/catalog/tiers');
  const { data, error, loading, reload } = useApi<{ items: Product[]; nextCursor: string | null }>('/catalog/products', { q, cursor: pager.cursor, limit: 50 });
  const owner = useIsOwner();
  const [editing, setEditing] = useState<Product | null>(null);
  const tierList = tiers.data?.items ?? [];
  return (
    <Page title={t('admin.catalog.title')}>
      <Form class="form form-inline" aria-label={t('admin.catalog.search')} onSubmit={(v) => { setQ(v.q ?? ''); pager.reset(); }}>
        <Field name="q" type="search" label={t('admin.catalog.search')} />
        <Button type="submit" kind="secondary">{t('admin.resellers.searchButton')}</Button>
      </Form>
      <p>
        <a href={apiUrl('/catalog/export')} download="kios-catalog.json">{t('admin.catalog.export')}</a>
      </p>
      <ErrorAlert error={error} />
      {editing && owner && <PriceEditor product={editing} tiers={tierList} onDone={() => { setEditing(null); reload(); }} />}
      {loading && !data ? (
        <Loading />
      ) : (
        <>
          <Table<Product>
            rows={data?.items ?? []}
            rowKey={(p) => p.id}
            columns={[
              { label: t('admin.catalog.code'), key: 'code' },
              { label: t('admin.catalog.name'), render: (p) => `${p.name} (${p.category.title})` },
              ...tierList.map((tier) => ({ label: tier.name, align: 'right' as const, render: (p: Product) => (p.prices[tier.code] === undefined ? '—' : <Money value={p.prices[tier.code]!} />) })),
              { label: t('admin.resellers.status'), render: (p) => (p.active ? t('admin.resellers.active') : <span class="badge badge-off">{t('admin.catalog.off')}</span>) },
              ...(owner
                ? [
                    {
                      label: t('admin.deposits.action'),
                      render: (p: Product) => (
                        <div class="actions">
                          <Button kind="link" onClick={() => setEditing(p)}>{t('admin.catalog.editPrice')}</Button>
                          <Button kind="link" onClick={() => api.post(`/catalog/products/${encodeURIComponent(p.code)}/${p.active ? 'disable' : 'enable'}`).then(reload)}>
                            {t(p.active ? 'admin.catalog.disable' : 'admin.catalog.enable')}
                          </Button>
                        </div>
                      ),
                    },
                  ]
                : []),
            ]}
          />
          <Pager pager={pager} nextCursor={data?.nextCursor} />
        </>
      )}
      {owner && <ImportForm onDone={reload} />}
    </Page>
  );
}

function PriceEditor({ product, tiers, onDone }: { product: Product; tiers: Tier[]; onDone: () => void }) {
  return (
    <section aria-labelledby="price-h" class="panel">
      <h2 id="price-h">{t('admin.catalog.priceOf', { name: product.name })}</h2>
      <p class="hint">{t('admin.catalog.priceHint')}</p>
      <Form
        aria-label={t('admin.catalog.priceOf', { name: product.name })}
        onSubmit={async (v) => {
          for (const tier of tiers) {
            const raw = (v[`price-${tier.code}`] ?? '').replace(/[.\s]/g, '');
            const before = product.prices[tier.code];
            const price = raw === '' ? null : Number(raw);
            if (price !== null && (!Number.isSafeInteger(price) || price <= 0)) throw invalid(`price-${tier.code}`, t('admin.reseller.amountInvalid'));
            if (price === (before ?? null)) continue;
            await api.post(`/catalog/products/${encodeURIComponent(product.code)}/price`, { tier: tier.code, price });
          }
          onDone();
        }}
      >
        {tiers.map((tier) => (
          <Field key={tier.code} name={`price-${tier.code}`} inputMode="numeric" label={tier.name} value={product.prices[tier.code] === undefined ? '' : String(product.prices[tier.code])} />
        ))}
        <Button type="submit">{t('admin.reseller.save')}</Button>
        <Button kind="link" onClick={onDone}>{t('admin.confirm.no')}</Button>
      </Form>
    </section>
  );
}

function ImportForm({ onDone }: { onDone: () => void }) {
  const [result, setResult] = useState<{ categories: number; products: number } | null>(null);
  return (
    <section aria-labelledby="import-h">
      <h2 id="import-h">{t('admin.catalog.import')}</h2>
      {result && <Alert kind="success">{t('admin.catalog.imported', { categories: result.categories, products: result.products })}</Alert>}
      <Form
        aria-label={t('admin.catalog.import')}
        onSubmit={async () => {
          const input = document.getElementById('f-file') as HTMLInputElement | null;
          const file = input?.files?.[0];
          if (!file) throw invalid('file', t('admin.catalog.chooseFile'));
          let body: unknown;
          try {
            body = JSON.parse(await file.text());
          } catch {
            throw invalid('file', t('admin.catalog.notJson'));
          }
          setResult(await api.post('/catalog/import', body));
          onDone();
        }}
      >
        <Field name="file" type="file" accept="application/json,.json" label={t('admin.catalog.file')} hint={t('admin.catalog.importHint')} />
        <Button type="submit">{t('admin.catalog.importButton')}</Button>
      </Form>
    </section>
  );
}
