import { useState } from 'preact/hooks';
import { api, apiUrl } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Alert, Button, ErrorAlert, Field, Form, invalid, Loading, Money, Page, Pager, Table, usePager } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { Confirm, useIsOwner } from './owner';
import type { Tier } from './resellers';

interface Product {
  id: string;
  code: string;
  name: string;
  active: boolean;
  category: { id: string; code: string; title: string };
  prices: Record<string, number>;
}

interface Route {
  productCode: string;
  productName: string;
  priority: number;
  supplier: string;
  supplierActive: boolean;
  sku: string;
  cost: number | null;
  active: boolean;
  margins: Record<string, number | null>;
}
interface Rule {
  id: string;
  tier: string;
  scope: 'all' | 'category' | 'product';
  target: string | null;
  description: string;
}
type View = 'products' | 'routes' | 'rules';
const VIEWS: [View, 'admin.catalog.products' | 'admin.catalog.routes' | 'admin.catalog.rules'][] = [
  ['products', 'admin.catalog.products'],
  ['routes', 'admin.catalog.routes'],
  ['rules', 'admin.catalog.rules'],
];

/** Katalog: products (prices, on/off, export, import), routes with margins, markup rules. */
export function CatalogPage(_: PageProps) {
  const [view, setView] = useState<View>('products');
  const tiers = useApi<{ items: Tier[] }>('/catalog/tiers');
  const tierList = tiers.data?.items ?? [];
  return (
    <Page title={t('admin.catalog.title')}>
      <div class="actions" role="group" aria-label={t('admin.catalog.title')}>
        {VIEWS.map(([v, label]) => (
          <button key={v} type="button" class={v === view ? 'btn btn-primary' : 'btn btn-secondary'} aria-pressed={v === view} onClick={() => setView(v)}>
            {t(label)}
          </button>
        ))}
      </div>
      {view === 'products' && <ProductsView tierList={tierList} />}
      {view === 'routes' && <RoutesView tierList={tierList} />}
      {view === 'rules' && <RulesView tierList={tierList} />}
    </Page>
  );
}

function ProductsView({ tierList }: { tierList: Tier[] }) {
  const pager = usePager();
  const [q, setQ] = useState('');
  const { data, error, loading, reload } = useApi<{ items: Product[]; nextCursor: string | null }>('/catalog/products', { q, cursor: pager.cursor, limit: 50 });
  const owner = useIsOwner();
  const [editing, setEditing] = useState<Product | null>(null);
  return (
    <>
      <Form class="form form-inline" aria-label={t('admin.catalog.search')} onSubmit={(v) => { setQ(v.q ?? ''); pager.reset(); }}>
        <Field name="q" type="search" label={t('admin.catalog.search')} />
        <Button type="submit" kind="secondary">{t('admin.resellers.searchButton')}</Button>
      </Form>
      <p>
        <a href={apiUrl('/catalog/export')} download="kios-catalog.json">{t('admin.catalog.export')}</a>
      </p>
      <ErrorAlert error={error} />
      {editing && owner && <PriceEditor key={editing.code} product={editing} tiers={tierList} onDone={() => { setEditing(null); reload(); }} />}
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
    </>
  );
}

/** Routes in priority order with the margin per tier; owners add one (or change its cost) and remove one. */
function RoutesView({ tierList }: { tierList: Tier[] }) {
  const [product, setProduct] = useState('');
  const { data, error, loading, reload } = useApi<{ items: Route[] }>('/catalog/routes', { product: product || undefined });
  const suppliers = useApi<{ items: { name: string; title: string }[] }>('/suppliers');
  const owner = useIsOwner();
  return (
    <>
      <Form class="form form-inline" aria-label={t('admin.catalog.routeFilter')} onSubmit={(v) => setProduct((v.filter ?? '').trim())}>
        <Field name="filter" type="search" label={t('admin.catalog.routeFilter')} defaultValue={product} />
        <Button type="submit" kind="secondary">{t('admin.resellers.searchButton')}</Button>
      </Form>
      <ErrorAlert error={error} />
      {loading && !data ? (
        <Loading />
      ) : (
        <Table<Route>
          rows={data?.items ?? []}
          rowKey={(r) => `${r.productCode} ${r.supplier} ${r.sku}`}
          columns={[
            { label: t('admin.catalog.name'), render: (r) => `${r.productName} (${r.productCode})` },
            { label: '#', align: 'right', render: (r) => String(r.priority) },
            { label: t('admin.catalog.supplier'), render: (r) => `${r.supplier} · ${r.sku}` },
            { label: t('admin.catalog.cost'), align: 'right', render: (r) => (r.cost === null ? '—' : <Money value={r.cost} />) },
            { label: t('admin.resellers.status'), render: (r) => (r.active && r.supplierActive ? t('admin.resellers.active') : <span class="badge badge-off">{t('admin.catalog.off')}</span>) },
            ...tierList.map((tier) => ({ label: t('admin.catalog.marginOf', { tier: tier.name }), align: 'right' as const, render: (r: Route) => (r.margins[tier.code] == null ? '—' : <Money value={r.margins[tier.code]!} />) })),
            ...(owner
              ? [
                  {
                    label: t('admin.deposits.action'),
                    render: (r: Route) => (
                      <Confirm
                        kind="danger"
                        label={t('admin.catalog.remove')}
                        question={t('admin.catalog.removeRouteQ', { product: r.productCode, supplier: r.supplier, sku: r.sku })}
                        onConfirm={() => api.post('/catalog/routes/remove', { product: r.productCode, supplier: r.supplier, sku: r.sku }).then(reload)}
                      />
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {owner && (
        <section aria-labelledby="route-h" class="panel">
          <h2 id="route-h">{t('admin.catalog.addRoute')}</h2>
          <p class="hint">{t('admin.catalog.addRouteHint')}</p>
          <Form
            aria-label={t('admin.catalog.addRoute')}
            onSubmit={async (v) => {
              const cost = wholeRupiah(v.cost, 'cost');
              const priority = (v.priority ?? '').trim() === '' ? undefined : wholeRupiah(v.priority, 'priority');
              await api.post('/catalog/routes', { product: (v.product ?? '').trim(), supplier: v.supplier, sku: (v.sku ?? '').trim(), cost, priority });
              reload();
            }}
          >
            {/* Prefilled with the filter, not bound to it: a re-render (the suppliers or the list arriving) must not wipe what the operator typed. */}
            <Field name="product" label={t('admin.catalog.code')} defaultValue={product} />
            <Field name="supplier" label={t('admin.catalog.supplier')} options={(suppliers.data?.items ?? []).map((s) => ({ value: s.name, label: `${s.title} (${s.name})` }))} />
            <Field name="sku" label="SKU" />
            <Field name="cost" inputMode="numeric" label={t('admin.catalog.cost')} />
            <Field name="priority" inputMode="numeric" label={t('admin.catalog.priority')} hint={t('admin.catalog.priorityHint')} />
            <Button type="submit">{t('admin.catalog.add')}</Button>
          </Form>
        </section>
      )}
    </>
  );
}

/** Markup rules; owners add one (replacing the tier's rule for that scope) and remove one, repricing at once if asked. */
function RulesView({ tierList }: { tierList: Tier[] }) {
  const { data, error, loading, reload } = useApi<{ items: Rule[] }>('/catalog/rules');
  const owner = useIsOwner();
  const [done, setDone] = useState<{ changed: number; belowCost: number } | null>(null);
  const [apply, setApply] = useState(true);
  return (
    <>
      <ErrorAlert error={error} />
      {done && <Alert kind="success">{t('admin.catalog.repriced', { changed: done.changed, belowCost: done.belowCost })}</Alert>}
      {loading && !data ? (
        <Loading />
      ) : (
        <Table<Rule>
          rows={data?.items ?? []}
          rowKey={(r) => r.id}
          columns={[
            { label: t('admin.catalog.tier'), render: (r) => tierList.find((x) => x.code === r.tier)?.name ?? r.tier },
            { label: t('admin.catalog.scope'), render: (r) => r.target ?? t('admin.catalog.allProducts') },
            { label: t('admin.catalog.markup'), key: 'description' },
            ...(owner
              ? [
                  {
                    label: t('admin.deposits.action'),
                    render: (r: Rule) => (
                      <Confirm
                        kind="danger"
                        label={t('admin.catalog.remove')}
                        question={t('admin.catalog.removeRuleQ', { tier: r.tier, target: r.target ?? t('admin.catalog.allProducts') })}
                        onConfirm={async () => {
                          setDone((await api.post<{ repriced: { changed: number; belowCost: number } }>(`/catalog/rules/${encodeURIComponent(r.id)}/remove`, { apply: true })).repriced);
                          reload();
                        }}
                      />
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {owner && (
        <section aria-labelledby="rule-h" class="panel">
          <h2 id="rule-h">{t('admin.catalog.addRule')}</h2>
          <p class="hint">{t('admin.catalog.addRuleHint')}</p>
          <Form
            aria-label={t('admin.catalog.addRule')}
            onSubmit={async (v) => {
              const num = (name: string, fallback: number) => {
                const raw = (v[name] ?? '').trim().replace(',', '.');
                if (raw === '') return fallback;
                const n = Number(raw);
                if (!Number.isFinite(n)) throw invalid(name, t('admin.reseller.amountInvalid'));
                return n;
              };
              const target = (v.target ?? '').trim();
              const scope = v.scope === 'category' || v.scope === 'product' ? v.scope : null;
              if (scope && target === '') throw invalid('target', t('admin.catalog.targetRequired'));
              const r = await api.post<{ repriced: { changed: number; belowCost: number } }>('/catalog/rules', {
                tier: v.tier,
                percent: num('percent', 0),
                fixed: num('fixed', 0),
                round: num('round', 1),
                ...(scope ? { [scope]: target } : {}),
                apply,
              });
              setDone(r.repriced);
              reload();
            }}
          >
            <Field name="tier" label={t('admin.catalog.tier')} options={tierList.map((x) => ({ value: x.code, label: x.name }))} />
            <Field
              name="scope"
              label={t('admin.catalog.scope')}
              options={[
                { value: 'all', label: t('admin.catalog.allProducts') },
                { value: 'category', label: t('admin.catalog.oneCategory') },
                { value: 'product', label: t('admin.catalog.oneProduct') },
              ]}
            />
            <Field name="target" label={t('admin.catalog.target')} hint={t('admin.catalog.targetHint')} />
            <Field name="percent" inputMode="decimal" label={t('admin.catalog.percent')} />
            <Field name="fixed" inputMode="numeric" label={t('admin.catalog.fixed')} />
            <Field name="round" inputMode="numeric" label={t('admin.catalog.round')} />
            <Field name="apply" type="checkbox" label={t('admin.catalog.applyNow')} checked={apply} onChange={(e) => setApply(e.currentTarget.checked)} />
            <Button type="submit">{t('admin.catalog.add')}</Button>
          </Form>
        </section>
      )}
    </>
  );
}

/** A whole number the browser checks first, reported like the API's VALIDATION issue for `field`. */
function wholeRupiah(raw: string | undefined, field: string): number {
  const n = Number((raw ?? '').replace(/[.\s]/g, ''));
  if ((raw ?? '').trim() === '' || !Number.isSafeInteger(n) || n < 0) throw invalid(field, t('admin.reseller.amountInvalid'));
  return n;
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
          <Field key={tier.code} name={`price-${tier.code}`} inputMode="numeric" label={tier.name} defaultValue={product.prices[tier.code] === undefined ? '' : String(product.prices[tier.code])} />
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
