import { useEffect, useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import type { PageProps } from '../../src/lib/router';
import { Alert, Button, DateTime, ErrorAlert, Field, Form, invalid, Loading, Money, Page, Table } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { Confirm, useIsOwner } from './owner';

interface Supplier {
  name: string;
  kind: string;
  title: string;
  active: boolean;
  baseUrl: string | null;
  lastBalance: { balance: number | null; error: string | null; checkedAt: number } | null;
}
interface ConfigField {
  key: string;
  type: 'text' | 'number' | 'boolean' | 'choice' | 'json';
  required: boolean;
  secret: boolean;
  default: unknown;
  options: string[] | null;
}
interface Kind {
  kind: string;
  title: string;
  fields: ConfigField[];
}
type Balance = { ok: true; balance: number } | { ok: false; reason: string };
interface Run {
  state: 'running' | 'done' | 'failed';
  progress: { phase: 'fetch' | 'apply'; done: number; total: number | null } | null;
  summary: { fetched: number; created: number; costChanged: number; deactivated: number; repriced: number } | null;
  error: string | null;
}

/** Supplier: accounts, last and live balance, a credentials test, on/off, a catalog sync with its progress, and (owners) a new account. */
export function SuppliersPage(_: PageProps) {
  const { data, error, loading, reload } = useApi<{ items: Supplier[] }>('/suppliers');
  const owner = useIsOwner();
  const [live, setLive] = useState<Record<string, Balance>>({});
  const [syncing, setSyncing] = useState<string | null>(null);
  const check = async (name: string, verb: 'test' | 'balance') => {
    const b = await api.post<Balance>(`/suppliers/${encodeURIComponent(name)}/${verb}`);
    setLive((m) => ({ ...m, [name]: b }));
  };
  if (loading && !data) return <Loading />;
  return (
    <Page title={t('admin.suppliers.title')}>
      <ErrorAlert error={error} />
      <Table<Supplier>
        rows={data?.items ?? []}
        rowKey={(s) => s.name}
        columns={[
          { label: t('admin.suppliers.name'), render: (s) => `${s.title} (${s.name})` },
          { label: t('admin.suppliers.kind'), key: 'kind' },
          { label: t('admin.resellers.status'), render: (s) => (s.active ? t('admin.resellers.active') : <span class="badge badge-off">{t('admin.catalog.off')}</span>) },
          {
            label: t('admin.suppliers.balance'),
            align: 'right',
            render: (s) => {
              const b = live[s.name];
              if (b) return b.ok ? <Money value={b.balance} /> : <span class="error">{b.reason}</span>;
              if (!s.lastBalance) return '—';
              return s.lastBalance.balance !== null ? (
                <>
                  <Money value={s.lastBalance.balance} /> <small>(<DateTime ms={s.lastBalance.checkedAt} />)</small>
                </>
              ) : (
                <span class="error">{s.lastBalance.error}</span>
              );
            },
          },
          {
            label: t('admin.deposits.action'),
            render: (s) => (
              <div class="actions">
                <Button kind="link" onClick={() => check(s.name, 'balance')}>{t('admin.suppliers.checkBalance')}</Button>
                <Button kind="link" onClick={() => check(s.name, 'test')}>{t('admin.suppliers.test')}</Button>
                {owner && (s.active ? (
                  <Confirm kind="danger" label={t('admin.catalog.disable')} question={t('admin.suppliers.disableQ', { name: s.name })} onConfirm={() => api.post(`/suppliers/${encodeURIComponent(s.name)}/disable`).then(reload)} />
                ) : (
                  <Button kind="link" onClick={() => api.post(`/suppliers/${encodeURIComponent(s.name)}/enable`).then(reload)}>{t('admin.catalog.enable')}</Button>
                ))}
                {owner && <Button kind="link" onClick={async () => { await api.post(`/suppliers/${encodeURIComponent(s.name)}/sync`, { dryRun: false }); setSyncing(s.name); }}>{t('admin.suppliers.sync')}</Button>}
              </div>
            ),
          },
        ]}
      />
      {syncing && <SyncProgress name={syncing} />}
      {owner && <AddSupplier onDone={reload} />}
    </Page>
  );
}

/**
 * A new account: the kind's settings come from the API (read off the connector's schema), so the
 * form asks exactly what `kios supplier add` checks. Credentials are password inputs, and the
 * answer shows them masked. An empty input is left out (the kind's default applies).
 */
function AddSupplier({ onDone }: { onDone: () => void }) {
  const kinds = useApi<{ items: Kind[] }>('/suppliers/kinds');
  const [kindName, setKindName] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const list = kinds.data?.items ?? [];
  const kind = list.find((k) => k.kind === kindName) ?? list[0];
  if (!kind) return <ErrorAlert error={kinds.error} />;
  return (
    <section aria-labelledby="add-supplier-h" class="panel">
      <h2 id="add-supplier-h">{t('admin.suppliers.add')}</h2>
      <p class="hint">{t('admin.suppliers.addHint')}</p>
      {added && <Alert kind="success">{t('admin.suppliers.added', { name: added })}</Alert>}
      <Form
        aria-label={t('admin.suppliers.add')}
        onSubmit={async (v) => {
          const config: Record<string, unknown> = {};
          for (const f of kind.fields) {
            const name = `config.${f.key}`;
            const raw = (v[name] ?? '').trim();
            if (raw === '') continue;
            if (f.type === 'number') {
              const n = Number(raw);
              if (!Number.isFinite(n)) throw invalid(name, t('admin.reseller.amountInvalid'));
              config[f.key] = n;
            } else if (f.type === 'boolean') config[f.key] = raw === 'true';
            else if (f.type === 'json') {
              try {
                config[f.key] = JSON.parse(raw);
              } catch {
                throw invalid(name, t('admin.suppliers.notJson'));
              }
            } else config[f.key] = raw;
          }
          const title = (v.title ?? '').trim();
          const r = await api.post<{ supplier: { name: string } }>('/suppliers', { kind: kind.kind, name: (v.name ?? '').trim(), ...(title ? { title } : {}), config });
          setAdded(r.supplier.name);
          onDone();
        }}
      >
        <Field name="kind" label={t('admin.suppliers.kind')} value={kind.kind} onChange={(e) => setKindName(e.currentTarget.value)} options={list.map((k) => ({ value: k.kind, label: `${k.title} (${k.kind})` }))} />
        <Field name="name" label={t('admin.suppliers.handle')} autoComplete="off" />
        <Field name="title" label={t('admin.suppliers.displayTitle')} />
        {kind.fields.map((f) => {
          const label = f.required ? f.key : `${f.key} (${t('admin.suppliers.optional')})`;
          const hint = f.type === 'json' ? t('admin.suppliers.jsonHint') : f.default !== null && f.default !== undefined ? String(f.default) : undefined;
          const name = `config.${f.key}`;
          if (f.type === 'boolean' || f.type === 'choice') {
            const options = f.type === 'boolean' ? ['true', 'false'] : (f.options ?? []);
            return <Field key={`${kind.kind}-${f.key}`} name={name} label={label} hint={hint} options={[{ value: '', label: '—' }, ...options.map((o) => ({ value: o, label: o }))]} />;
          }
          return <Field key={`${kind.kind}-${f.key}`} name={name} label={label} hint={hint} type={f.secret ? 'password' : 'text'} autoComplete={f.secret ? 'new-password' : 'off'} inputMode={f.type === 'number' ? 'numeric' : undefined} />;
        })}
        <Button type="submit">{t('admin.catalog.add')}</Button>
      </Form>
    </section>
  );
}

/** Polls the sync's progress once a second until it ends. */
function SyncProgress({ name }: { name: string }) {
  const [run, setRun] = useState<Run | null>(null);
  useEffect(() => {
    let live = true;
    const poll = async () => {
      const r = (await api.get<{ run: Run | null }>(`/suppliers/${encodeURIComponent(name)}/sync`).catch(() => ({ run: null }))).run;
      if (!live) return;
      setRun(r);
      if (r?.state === 'running') setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      live = false;
    };
  }, [name]);
  if (!run) return null;
  if (run.state === 'failed') return <Alert kind="error">{t('admin.suppliers.syncFailed', { name, error: run.error ?? '' })}</Alert>;
  if (run.state === 'done' && run.summary) {
    return <Alert kind="success">{t('admin.suppliers.syncDone', { name, fetched: run.summary.fetched, created: run.summary.created, changed: run.summary.costChanged, repriced: run.summary.repriced })}</Alert>;
  }
  const p = run.progress;
  return (
    <div role="status" class="panel">
      <p>{t('admin.suppliers.syncing', { name, phase: p?.phase ?? 'fetch', done: p?.done ?? 0 })}</p>
      <progress max={p?.total ?? undefined} value={p?.total ? p.done : undefined} />
    </div>
  );
}
