import { useState } from 'preact/hooks';
import { api } from '../../src/lib/api';
import { t } from '../../src/lib/i18n';
import { useSession, type AdminSession } from '../../src/lib/session';
import { Alert, Button, CopyButton, DateTime, ErrorAlert, Field, Form, Loading, Page, Table } from '../../src/lib/ui';
import { useApi } from '../../src/lib/use-api';
import { Confirm, useIsOwner } from './owner';

interface Row {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'staff';
  totpEnabled: boolean;
  active: boolean;
  disabled: boolean;
  createdAt: number;
}

/** Operator (owners): the list, an invitation, and per operator: disable, a new set-up link, reset TOTP. */
export function OperatorsPage() {
  const owner = useIsOwner();
  return <Page title={t('admin.operators.title')}>{owner ? <Operators /> : <Alert kind="info">{t('admin.operators.ownerOnly')}</Alert>}</Page>;
}

function Operators() {
  const me = useSession<AdminSession>()?.operator.id;
  const { data, error, loading, reload } = useApi<{ items: Row[] }>('/operators');
  // The one-time link just issued (an invitation or a forgotten password), shown until replaced.
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const act = async (r: Row, path: 'disable' | 'reset-totp') => {
    await api.post(`/operators/${encodeURIComponent(r.id)}/${path}`);
    reload();
  };
  const status = (r: Row) => (r.disabled ? <span class="badge badge-off">{t('admin.operators.disabled')}</span> : r.active ? t('admin.operators.active') : t('admin.operators.invited'));
  return (
    <>
      {link && <SetupLink {...link} />}
      <ErrorAlert error={error} />
      {loading && !data ? (
        <Loading />
      ) : (
        <Table<Row>
          caption={t('admin.operators.title')}
          rows={data?.items ?? []}
          rowKey={(r) => r.id}
          columns={[
            { label: t('account.name'), key: 'name' },
            { label: t('account.email'), key: 'email' },
            { label: t('admin.operators.role'), render: (r) => t(r.role === 'owner' ? 'admin.operators.owner' : 'admin.operators.staff') },
            { label: t('admin.operators.totp'), render: (r) => (r.totpEnabled ? t('admin.operators.totpOn') : '—') },
            { label: t('admin.operators.status'), render: status },
            { label: t('admin.operators.created'), render: (r) => <DateTime ms={r.createdAt} dateOnly /> },
            {
              label: t('admin.operators.actions'),
              render: (r) =>
                r.disabled ? null : (
                  <span class="row">
                    <Button
                      kind="secondary"
                      onClick={async () => {
                        const l = await api.post<{ setupUrl: string }>(`/operators/${encodeURIComponent(r.id)}/link`);
                        setLink({ email: r.email, url: l.setupUrl });
                      }}
                    >
                      {t('admin.operators.link')}
                    </Button>
                    {r.totpEnabled && <Confirm label={t('admin.operators.resetTotp')} question={t('admin.operators.resetTotpQ', { email: r.email })} onConfirm={() => act(r, 'reset-totp')} />}
                    {r.id !== me && <Confirm kind="danger" label={t('admin.operators.disable')} question={t('admin.operators.disableQ', { email: r.email })} onConfirm={() => act(r, 'disable')} />}
                  </span>
                ),
            },
          ]}
        />
      )}
      <section aria-labelledby="invite">
        <h2 id="invite">{t('admin.operators.invite')}</h2>
        <Form
          aria-label={t('admin.operators.invite')}
          onSubmit={async (v) => {
            const r = await api.post<{ operator: Row; setupUrl: string }>('/operators', { email: v.email, name: v.name || undefined, role: v.role });
            setLink({ email: r.operator.email, url: r.setupUrl });
            reload();
          }}
        >
          <Field name="email" type="email" label={t('account.email')} required />
          <Field name="name" label={t('account.name')} maxLength={100} />
          <Field name="role" label={t('admin.operators.role')} options={[{ value: 'staff', label: t('admin.operators.staff') }, { value: 'owner', label: t('admin.operators.owner') }]} />
          <Button type="submit">{t('admin.operators.inviteButton')}</Button>
        </Form>
      </section>
    </>
  );
}

/** A set-up link is shown once: hand it to its operator over a private channel. */
function SetupLink({ email, url }: { email: string; url: string }) {
  return (
    <Alert kind="success">
      <div class="secret">
        <label for="setup-link">{t('admin.operators.linkFor', { email })}</label>
        <input id="setup-link" class="mono" readOnly value={url} data-testid="operator-setup-link" onFocus={(e) => e.currentTarget.select()} />
        <div class="row">
          <CopyButton text={url} />
        </div>
        <p class="hint">{t('admin.operators.linkHint')}</p>
      </div>
    </Alert>
  );
}
