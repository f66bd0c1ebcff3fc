import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.js';
import { MAX_ENGINE_TRIES } from '../../src/redeem/process.js';
import { ApigamesFake } from '../fakes/apigames.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { bulk, detail, merchant, projectDone, vouchers, type Merchant } from '../helpers/redeem.js';

/**
 * Redeem projects through the `apigames` engine against a fake APIGames (loopback, signatures
 * checked): upstream projects created and followed by project detail, explicit refusals and
 * per-voucher engine errors retried, 5xx on reads retried, the session key passed through and
 * never stored in clear, and a submission whose answer was lost never re-sent by kios.
 */
describe.each(DIALECTS)('apigames redeem engine (%s)', (dialect) => {
  let t: TestKios;
  let fake: ApigamesFake;
  let m: Merchant;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    fake = await ApigamesFake.start();
    await t.kios.suppliers.add('apigames', 'ag-redeem', fake.config());
    await t.kios.redeem.setEngine('ag-redeem');
    m = await merchant(t);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('redeems through APIGames: refusals and engine errors retried, 5xx reads retried, each code redeemed at most once', async () => {
    fake.redeemBusy = 2;
    let reads = 0;
    fake.faultFor = (path) => (path.endsWith('/project/detail') && reads++ % 3 === 0 ? '5xx-before' : undefined);
    const codes = ['AG0001', 'AG0005', 'AG0009', 'AG0002USED', 'AG0003ERR1', 'AG0004ERR', 'AG0006'];
    const r = await bulk(t, m, codes, { session_key: 'kiosgamer-session-SECRET-1' });
    expect(r.json.status, r.text).toBe(1);
    const projectId = r.json.data.project_id;
    const open = await t.kios.db.kysely.selectFrom('redeem_projects').select(['session_key_enc', 'engine']).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(open.session_key_enc ?? '').not.toContain('kiosgamer-session-SECRET-1');
    await projectDone(t, projectId, 30_000);
    fake.faultFor = null;

    const rows = await vouchers(t, projectId);
    expect(codes.map((c) => [c, rows.get(c)!.status, rows.get(c)!.nominal_gs])).toEqual([
      ['AG0001', 1, 25],
      ['AG0005', 1, 50],
      ['AG0009', 1, 100],
      ['AG0002USED', 4, 0],
      ['AG0003ERR1', 1, 25],
      ['AG0004ERR', 3, 0],
      ['AG0006', 1, 50],
    ]);
    expect(rows.get('AG0002USED')!.note).toBe('Voucher sudah digunakan');
    expect(rows.get('AG0004ERR')!.tries).toBe(MAX_ENGINE_TRIES);
    // Two refused submissions took nothing; then one submission per code, two for ERR1, three left for ERR.
    expect(Object.fromEntries(fake.redeemSubmissions)).toEqual({ AG0001: 1, AG0005: 1, AG0009: 1, AG0002USED: 1, AG0003ERR1: 2, AG0004ERR: MAX_ENGINE_TRIES - 2, AG0006: 1 });
    expect([...fake.projects.values()].every((p) => p.sessionKey === 'kiosgamer-session-SECRET-1')).toBe(true);
    const d = await detail(t, m, projectId);
    expect(d.json.data.data.stats).toEqual({ pending: 0, success: 5, process: 0, error_engine: 1, error_voucher: 1 });
    const done = await t.kios.db.kysely.selectFrom('redeem_projects').select('session_key_enc').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(done.session_key_enc).toBeNull();
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('a 10,000-code project through APIGames with faults: every voucher final, stats = statuses, fees = successes x fee, ledger verifies', async () => {
    await t.kios.redeem.setFee('platinum', 75);
    const rich = await merchant(t, { balance: 2_000_000 });
    fake.redeemBusy = 1;
    let reads = 0;
    fake.faultFor = (path) => (path.endsWith('/project/detail') && reads++ % 5 === 0 ? '5xx-before' : undefined);
    const codes = Array.from({ length: 10_000 }, (_, i) => `AGBIG${String(i).padStart(5, '0')}${i % 50 === 0 ? 'USED' : i % 97 === 0 ? 'ERR1' : ''}`);
    const r = await bulk(t, rich, codes);
    const projectId = r.json.data.project_id;
    await projectDone(t, projectId, 120_000);
    fake.faultFor = null;
    const rows = await vouchers(t, projectId);
    const stats = { pending: 0, success: 0, process: 0, error_engine: 0, error_voucher: 0 };
    const names = ['pending', 'success', 'process', 'error_engine', 'error_voucher'] as const;
    for (const code of codes) {
      const v = rows.get(code)!;
      expect([code, v.status]).toEqual([code, code.endsWith('USED') ? 4 : 1]);
      stats[names[v.status]!] += 1;
      expect(fake.redeemSubmissions.get(code)).toBe(code.endsWith('ERR1') ? 2 : 1);
    }
    expect((await detail(t, rich, projectId)).json.data.data.stats).toEqual(stats);
    const fees = await t.kios.db.kysely.selectFrom('ledger_entries').select('amount').where('reseller_id', '=', rich.id).where('kind', '=', 'redeem_fee').execute();
    expect(fees.length).toBe(stats.success);
    expect(await t.balance(rich.id)).toBe(2_000_000 - 75 * stats.success);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
    await t.kios.redeem.setFee('platinum', 0);
  }, 180_000);

  it('a submission whose answer was lost is never re-sent by kios: error_engine with a note, for the operator', async () => {
    let bulks = 0;
    fake.faultFor = (path) => (path.endsWith('/redem/bulk') && bulks++ === 0 ? '5xx-after' : undefined);
    const before = new Map(fake.redeemSubmissions);
    const r = await bulk(t, m, ['LOST0001', 'LOST0002']);
    const projectId = r.json.data.project_id;
    await projectDone(t, projectId);
    fake.faultFor = null;
    const rows = await vouchers(t, projectId);
    for (const code of ['LOST0001', 'LOST0002']) {
      expect(rows.get(code)).toMatchObject({ status: 3, tries: 1 });
      expect(rows.get(code)!.note).toMatch(/^Tidak diketahui apakah engine menerima voucher ini/);
      expect(fake.redeemSubmissions.get(code)).toBe(1); // APIGames has it; kios did not send it again
    }
    expect(before.has('LOST0001')).toBe(false);
  });
});
