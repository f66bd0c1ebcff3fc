import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { bulk, projectDone, vouchers } from '../helpers/redeem.js';
import { eventually } from '../helpers/wait.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios redeem ...` and the merchant id of `kios reseller show`, run as child processes against a
 * fresh database while the API and worker run (in-process) on the same database.
 */
vi.setConfig({ testTimeout: 180_000 });

describe.each(DIALECTS)('kios redeem (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let t: TestKios;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    t = await TestKios.start(dialect, {}, { existing: db, catalog: false });
  });
  afterAll(async () => {
    await killAll();
    await t?.stop();
    await db?.drop();
  });

  it('reseller show gives the merchant id, generated once', async () => {
    const created = okJson<{ id: string; api_key: string }>(await kios(env, ['reseller', 'create', '--name', 'Toko Redeem', '--email', 'redeem@example.com', '--json']));
    const shown = okJson<{ merchant_id: string }>(await kios(env, ['reseller', 'show', created.id, '--json']));
    expect(shown.merchant_id).toMatch(/^M\d{6}[A-Z0-9]{9}$/);
    const human = ok(await kios(env, ['reseller', 'show', 'redeem@example.com']));
    expect(human).toMatch(new RegExp(`^merchant_id\\s+${shown.merchant_id}$`, 'm'));
  });

  it('engine and fee settings', async () => {
    expect(okJson(await kios(env, ['redeem', 'engine', '--json']))).toEqual({ engine: 'simulator' });
    expectRefused(await kios(env, ['redeem', 'engine', 'nosuch']), /no supplier named "nosuch"/);
    await t.kios.suppliers.add('simulator', 'sim-orders', {});
    expectRefused(await kios(env, ['redeem', 'engine', 'sim-orders']), /offers no voucher-redeem engine/);
    await t.kios.suppliers.add('apigames', 'ag', { base_url: 'http://127.0.0.1:9', merchant_id: 'M1', secret_key: 'secret-key-of-ag-0123' });
    expect(okJson(await kios(env, ['redeem', 'engine', 'ag', '--json']))).toMatchObject({ engine: 'ag', name: 'ag' });
    expect(ok(await kios(env, ['redeem', 'engine', 'simulator']))).toMatch(/redeem engine: simulator/);

    expect(okJson(await kios(env, ['redeem', 'fee', '--tier', 'member', '150', '--json']))).toEqual({ fees: [{ tier: 'member', fee: 150 }] });
    expectRefused(await kios(env, ['redeem', 'fee', '--tier', 'nosuch', '1']), /unknown tier "nosuch"/);
    expect(ok(await kios(env, ['redeem', 'fee']))).toMatch(/^member\s+Rp 150$/m);
    expect(okJson(await kios(env, ['redeem', 'fee', '--tier', 'member', '0', '--json']))).toEqual({ fees: [{ tier: 'member', fee: 0 }] });
  });

  it('list, show (codes partly masked) and retry', async () => {
    const r = await t.reseller({ role: 'member' });
    const row = await t.kios.resellers.get(r.id);
    const m = { id: r.id, apiKey: r.apiKey, merchantId: row.merchantId! };
    const created = await bulk(t, m, ['CLIVOUCHER0001', 'CLIVOUCHER0002ERR', 'CLIVOUCHER0003USED']);
    const projectId: string = created.json.data.project_id;
    await projectDone(t, projectId);

    const list = okJson<{ projects: any[] }>(await kios(env, ['redeem', 'list', '--reseller', r.id, '--json']));
    expect(list.projects).toHaveLength(1);
    expect(list.projects[0]).toMatchObject({ project_id: projectId, reseller_id: r.id, engine: 'simulator', status: 'done', total_voucher: 3, stats: { success: 1, error_engine: 1, error_voucher: 1 } });
    expect(ok(await kios(env, ['redeem', 'list']))).toContain(projectId);

    const shown = okJson<any>(await kios(env, ['redeem', 'show', projectId, '--json']));
    expect(shown).toMatchObject({ project_id: projectId, merchant_id: m.merchantId, stats: { success: 1, error_engine: 1, error_voucher: 1 } });
    expect(shown.vouchers.map((v: any) => [v.code, v.status_name])).toEqual([
      // A quarter at each end (at most four characters) stays readable.
      ['CLI********001', 'success'],
      ['CLIV*********2ERR', 'error_engine'],
      ['CLIV**********USED', 'error_voucher'],
    ]);
    const human = ok(await kios(env, ['redeem', 'show', String(shown.id)]));
    expect(human).toContain(projectId);
    expect(human).not.toContain('CLIVOUCHER0001');
    expectRefused(await kios(env, ['redeem', 'show', 'R000000NONE000000']), /no redeem project "R000000NONE000000"/);

    expect(okJson(await kios(env, ['redeem', 'retry', projectId, '--json']))).toEqual({ requeued: 1 });
    await eventually(async () => {
      const v = (await vouchers(t, projectId)).get('CLIVOUCHER0002ERR')!;
      expect([v.status, v.tries]).toEqual([3, 5]);
      await projectDone(t, projectId, 100);
    }, 20_000);
    expect(ok(await kios(env, ['redeem', 'retry', projectId]))).toMatch(/re-queued 1 voucher/);
  });
});
