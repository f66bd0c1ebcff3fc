import { t } from '../../src/lib/i18n';
import { useSession, type AdminSession } from '../../src/lib/session';
import { useApi } from '../../src/lib/use-api';
import { Count, DateTime, ErrorAlert, Loading, Money, Page, Table } from '../../src/lib/ui';
import { ago, type Overview } from './ops';

/** Ringkasan: today at a glance (operator time zone) and the last 7 days. */
export function HomePage() {
  const { operator } = useSession<AdminSession>()!;
  const { data, error, loading } = useApi<Overview>('/overview');
  return (
    <Page title={t('admin.home.title')}>
      <p>{t('admin.home.welcome', { name: operator.name })}</p>
      <dl class="facts">
        <div>
          <dt>{t('admin.home.role')}</dt>
          <dd data-testid="role">{t(operator.role === 'owner' ? 'admin.role.owner' : 'admin.role.staff')}</dd>
        </div>
        <div>
          <dt>{t('admin.home.email')}</dt>
          <dd>{operator.email}</dd>
        </div>
        <div>
          <dt>{t('admin.home.totp')}</dt>
          <dd>{t(operator.totpEnabled ? 'admin.home.totpOn' : 'admin.home.totpOff')}</dd>
        </div>
      </dl>
      <ErrorAlert error={error} />
      {loading && !data && <Loading />}
      {data && <OverviewView o={data} />}
    </Page>
  );
}

function OverviewView({ o }: { o: Overview }) {
  const d = o.today;
  return (
    <>
      <h2>
        {t('ops.today')} (<DateTime ms={d.start} dateOnly />)
      </h2>
      <dl class="cards" data-testid="today">
        <Card label={t('ops.orders')} id="orders">
          <Count value={d.orders} />
        </Card>
        <Card label={t('ops.successful')} id="successful">
          <Count value={d.successful} />
        </Card>
        <Card label={t('ops.revenue')} id="revenue">
          <Money value={d.revenue} />
        </Card>
        <Card label={t('ops.cost')} id="cost">
          <Money value={d.cost} />
          {d.costUnknown > 0 && <small>{t('ops.costUnknown', { n: d.costUnknown })}</small>}
        </Card>
        <Card label={t('ops.margin')} id="margin">
          <Money value={d.margin} />
        </Card>
        <Card label={t('ops.pending')} id="pending">
          <a href="/admin/orders?status=PENDING">
            <Count value={o.pending.count} />
          </a>
          {o.pending.oldestAgeMs !== null && <small>{t('ops.oldest', { age: ago(o.pending.oldestAgeMs) })}</small>}
        </Card>
        <Card label={t('ops.failingCallbacks')} id="failing">
          <a href="/admin/callbacks">
            <Count value={o.failingCallbacks} />
          </a>
        </Card>
        <Card label={t('ops.ledger')} id="ledger">
          <a href="/admin/ledger">{o.ledger === null ? t('ops.ledgerNever') : o.ledger.ok ? t('ops.ledgerOk') : t('ops.ledgerBad', { n: o.ledger.violations })}</a>
          {o.ledger && (
            <small>
              <DateTime ms={o.ledger.at} />
            </small>
          )}
        </Card>
      </dl>

      <h2>{t('ops.byStatus')}</h2>
      <Table
        columns={[
          { label: t('ops.status'), render: (r) => r[0] },
          { label: t('ops.count'), align: 'right', render: (r) => <Count value={r[1]} /> },
        ]}
        rows={o.statuses.map((s) => [s, d.byStatus[s] ?? 0] as [string, number])}
        rowKey={(r) => r[0]}
      />

      <h2>{t('ops.week')}</h2>
      <WeekChart days={o.days} />
      <Table
        caption={t('ops.week')}
        columns={[
          { label: t('ops.date'), render: (x) => <DateTime ms={x.start} dateOnly /> },
          { label: t('ops.orders'), align: 'right', render: (x) => <Count value={x.orders} /> },
          { label: t('ops.successful'), align: 'right', render: (x) => <Count value={x.successful} /> },
          { label: t('ops.revenue'), align: 'right', render: (x) => <Money value={x.revenue} /> },
          { label: t('ops.margin'), align: 'right', render: (x) => <Money value={x.margin} /> },
        ]}
        rows={o.days}
        rowKey={(x) => x.date}
      />

      {o.suppliers.length > 0 && (
        <>
          <h2>{t('ops.suppliers')}</h2>
          <Table
            columns={[
              { label: t('ops.supplier'), render: (s) => s.name },
              { label: t('ops.balance'), align: 'right', render: (s) => (s.balance === null ? s.error ?? '—' : <Money value={s.balance} />) },
              { label: t('ops.checkedAt'), render: (s) => <DateTime ms={s.checkedAt} /> },
            ]}
            rows={o.suppliers}
            rowKey={(s) => s.id}
          />
        </>
      )}
    </>
  );
}

function Card({ label, id, children }: { label: string; id: string; children: preact.ComponentChildren }) {
  return (
    <div data-testid={`card-${id}`}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * Revenue per day as inline SVG bars: no chart library. The SVG is one image with a label for
 * screen readers; the table after it carries the same numbers as text.
 */
function WeekChart({ days }: { days: Overview['days'] }) {
  const max = Math.max(1, ...days.map((d) => d.revenue));
  const w = 40;
  const h = 120;
  return (
    <svg class="chart" viewBox={`0 0 ${days.length * w} ${h + 16}`} role="img" aria-label={t('ops.chartLabel')}>
      {days.map((d, i) => {
        const bh = Math.round((Math.max(0, d.revenue) / max) * h);
        return (
          <g key={d.date}>
            <rect x={i * w + 6} y={h - bh} width={w - 12} height={bh}>
              <title>{`${d.date}: Rp ${d.revenue}`}</title>
            </rect>
            <text x={i * w + w / 2} y={h + 12} text-anchor="middle">
              {d.date.slice(8)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
