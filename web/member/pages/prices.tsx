import { useState } from 'preact/hooks';
import { apiUrl, type Query } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { Button, ErrorAlert, Field, Form, Loading, Money, Page, Table } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';

interface Price {
  id: string;
  name: string;
  code: string;
  price: number;
  active: boolean;
  categoryTitle: string;
}

/** Daftar Harga: the tier's prices, searched by name or code, by category; CSV of the same. */
export function PricesPage() {
  const [filter, setFilter] = useState<Query>({});
  const { data, error, loading } = useApi<{ items: Price[]; categories: string[] }>('/prices', filter);
  const [categories, setCategories] = useState<string[]>([]);
  if (data && categories.length === 0 && data.categories.length > 0) setCategories(data.categories);
  return (
    <Page title={t('member.prices.title')}>
      <Form class="filters" aria-label={t('member.filter.search')} onSubmit={(v) => setFilter({ q: v.q?.trim() || undefined, category: v.category || undefined })}>
        <Field name="q" type="search" label={t('member.filter.search')} hint={t('member.prices.searchHint')} />
        <Field name="category" label={t('member.filter.category')} options={[{ value: '', label: t('member.filter.all') }, ...categories.map((c) => ({ value: c, label: c }))]} />
        <Button type="submit">{t('member.filter.search')}</Button>
      </Form>
      <p>
        <a class="btn btn-secondary" href={apiUrl('/prices.csv', filter)} download>
          {t('member.csv')}
        </a>
      </p>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && (
        <Table
          rows={data.items}
          rowKey={(p) => p.id}
          columns={[
            { label: t('member.col.category'), key: 'categoryTitle' },
            { label: t('member.col.code'), key: 'code' },
            { label: t('member.col.name'), key: 'name' },
            { label: t('member.col.price'), align: 'right', render: (p) => <Money value={p.price} /> },
            { label: t('member.col.active'), render: (p) => (p.active ? t('member.yes') : t('member.no')) },
          ]}
        />
      )}
    </Page>
  );
}
