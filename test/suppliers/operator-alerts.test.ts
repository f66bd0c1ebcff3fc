import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { TestKios } from '../helpers/kios.js';
import { ledgerOf, supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { FAKE_BRANDS, FakeCatalog } from '../fakes/catalog.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { VcgamersFake } from '../fakes/vcgamers.js';

/**
 * What only the operator can fix, end to end through VCGamers: a supplier refusing kios's own
 * credentials keeps a paid order waiting (never FAILED on kios's fault) and alerts the operator,
 * or fails over at once when another route exists; an unsigned webhook is only a reason to ask;
 * a low supplier balance is reported.
 */
describe.each(DIALECTS)('operator alerts and account faults (%s)', (dialect) => {
  let t: TestKios;
  let vcg: VcgamersFake;
  let sink: CallbackSink;
  const alerts = () => sink.received.map((r) => JSON.parse(r.body) as { kind: string; supplier?: string; order?: string });

  beforeAll(async () => {
    sink = await CallbackSink.start();
    vcg = await VcgamersFake.start({ catalog: new FakeCatalog(40), pendingMs: 400 });
    t = await TestKios.start(dialect, { OPERATOR_ALERT_URL: `${sink.url}/alerts` });
    vcg.opts.callbackUrl = `${t.url}/suppliers/vcg/callback`;
    // The demo's Mobile Legends takes VCGamers' form, as a catalog sync would give it.
    const form = JSON.stringify(FAKE_BRANDS.find((b) => b.key === 'MLBB')!.form);
    await t.kios.db.kysely.updateTable('categories').set({ form }).where('code', '=', 'ML').execute();
  });
  afterAll(async () => {
    await t?.close();
    await vcg?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.received.length = 0;
  });

  it('a refused signature with no other route: the order waits, the operator is alerted, and the fixed account delivers it once', async () => {
    await t.kios.suppliers.add('vcgamers', 'vcg', vcg.config({ secret_key: 'not-the-secret' }));
    await t.kios.routes.remove('S4_ML86', 'simulator');
    await t.kios.routes.add('S4_ML86', 'vcg', 'MLBB/MLBB10', { cost: 2_650 });
    const buyer = await t.reseller({ balance: 100_000 });
    const res = await t.order(buyer.apiKey, { product_code: 'S4_ML86', user_id: '123456789', server_id: '2468' });
    expect(res.status, res.text).toBe(201);
    const order = await t.orderRow(res.json.data.invoice_number);

    await eventually(async () => expect(alerts().some((a) => a.kind === 'supplier_account' && a.supplier === 'vcg' && a.order === order.id)).toBe(true));
    const refused = await supplierAttemptsOf(t.kios.db.kysely, order.id);
    // Every attempt the supplier answered was refused; the order keeps being retried, so the
    // latest attempt may still be on its way ('sending') when the alert arrives.
    expect(refused.filter((a) => a.state === 'failed').length).toBeGreaterThanOrEqual(1);
    expect(refused.every((a) => a.state === 'failed' || a.state === 'sending')).toBe(true);
    expect((await t.orderRow(order.invoice_number)).status).toBe('PENDING');
    expect(vcg.txnsFor(order.id)).toEqual([]);

    await t.kios.suppliers.update('vcg', { secret_key: vcg.secretKey });
    const done = await t.settle(order.invoice_number);
    expect(done.status).toBe('SUCCESS');
    expect(vcg.txnsFor(order.id)).toHaveLength(1);
    expect((await ledgerOf(t.kios.db.kysely, order.id)).map((e) => e.kind)).toEqual(['order_debit']);
    await t.expectLedgerConsistent();
  });

  it('a refused signature with another route fails over at once, still alerting', async () => {
    await t.kios.suppliers.update('vcg', { secret_key: 'wrong-again' });
    await t.kios.routes.add('S4_ML86', 'simulator', 'S4_ML86', { cost: 18_000 });
    const buyer = await t.reseller({ balance: 100_000 });
    const res = await t.order(buyer.apiKey, { product_code: 'S4_ML86', user_id: '123456789', server_id: '2468' });
    const done = await t.settle(res.json.data.invoice_number);
    expect(done.status).toBe('SUCCESS');
    const attempts = await supplierAttemptsOf(t.kios.db.kysely, done.id);
    expect(attempts.map((a) => [a.supplier_id, a.state])).toEqual([
      ['vcg', 'failed'],
      ['simulator', 'success'],
    ]);
    await eventually(async () => expect(alerts().some((a) => a.kind === 'supplier_account' && a.order === done.id)).toBe(true));
    await t.kios.suppliers.update('vcg', { secret_key: vcg.secretKey });
    await t.kios.routes.remove('S4_ML86', 'simulator');
  });

  it('an unsigned webhook decides nothing: it makes kios ask VCGamers, whose answer decides', async () => {
    const buyer = await t.reseller({ balance: 100_000 });
    const res = await t.order(buyer.apiKey, { product_code: 'S4_ML86', user_id: '123456555', server_id: '2468' });
    const order = await t.orderRow(res.json.data.invoice_number);
    await eventually(async () => expect(vcg.txnsFor(order.id)).toHaveLength(1));
    const ref = vcg.txnsFor(order.id)[0]!.ref;
    // A forged "failed" report about a transaction VCGamers still holds as pending.
    const forged = await t.request('POST', '/suppliers/vcg/callback', { rawBody: vcg.webhook(ref, 'failed'), headers: { 'content-type': 'application/json' } });
    expect(forged.status).toBe(200);
    expect(forged.json.message).toBe('status check scheduled');
    expect((await t.orderRow(order.invoice_number)).status).toBe('PENDING');
    const done = await t.settle(order.invoice_number);
    expect(done.status).toBe('SUCCESS');
    expect((await ledgerOf(t.kios.db.kysely, order.id)).map((e) => e.kind)).toEqual(['order_debit']);
    const unknown = await t.request('POST', '/suppliers/vcg/callback', { rawBody: vcg.webhook(ref, 'failed').replace(ref, 'ord_unknown-1'), headers: { 'content-type': 'application/json' } });
    expect(unknown.status).toBe(404);
  });

  it('a supplier balance below its balance_alert floor is recorded and alerted; one above is not', async () => {
    const df = await DigiflazzFake.start({ balance: 400_000 });
    try {
      await t.kios.suppliers.add('digiflazz', 'digi', df.config({ balance_alert: 500_000 }));
      const checks = await t.kios.balances.checkAll();
      expect(checks.find((c) => c.supplier === 'digi')).toMatchObject({ balance: 400_000, floor: 500_000, low: true });
      const row = await t.kios.db.kysely.selectFrom('supplier_balances').selectAll().where('supplier_id', '=', 'digi').executeTakeFirstOrThrow();
      expect(row).toMatchObject({ balance: 400_000, error: null });
      expect(row.alerted_at).not.toBeNull();
      await eventually(async () => expect(alerts().filter((a) => a.kind === 'supplier_balance_low').map((a) => a.supplier)).toEqual(['digi']));

      df.balance = 900_000;
      sink.received.length = 0;
      expect((await t.kios.balances.checkAll()).find((c) => c.supplier === 'digi')).toMatchObject({ balance: 900_000, low: false });
      await t.kios.alerts.settled();
      expect(alerts().filter((a) => a.kind === 'supplier_balance_low')).toEqual([]);
    } finally {
      await t.kios.suppliers.setActive('digi', false);
      await df.close();
    }
  });
});
