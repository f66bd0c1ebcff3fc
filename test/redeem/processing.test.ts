import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.js';
import { MAX_ENGINE_TRIES } from '../../src/redeem/process.js';
import { SIMULATOR_JOURNAL, SimulatorRedeemEngine } from '../../src/redeem/simulator.js';
import { STATUS_NAMES } from '../../src/redeem/statuses.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { bulk, detail, merchant, projectDone, simulatedEnd, vouchers } from '../helpers/redeem.js';
import { eventually } from '../helpers/wait.js';

/**
 * Redeem projects through the simulator engine, end to end over HTTP: a 10,000-code project
 * (every voucher final with the outcome its code asks for, stats equal the vouchers' statuses,
 * fees equal successes times the fee, the ledger verifies, each code sent to the engine at most
 * once per success), engine faults retried, the completion callback, a balance too small for
 * the fees, and codes already redeemed in an earlier project.
 */

const FEE = 150;

const expected = simulatedEnd;

describe.each(DIALECTS)('redeem processing (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  const journal = () => SimulatorRedeemEngine.submissions(join(t.db.dataDir, SIMULATOR_JOURNAL));

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('a 10,000-code project: every voucher final as its code says, stats = statuses, fees = successes x fee, ledger verifies, at most one submission per success', async () => {
    await t.kios.redeem.setFee('platinum', FEE);
    const m = await merchant(t, { balance: 5_000_000 });
    await t.kios.resellers.setWebhook(m.id, `${sink.url}/redeem-done`);
    const codes = Array.from({ length: 10_000 }, (_, i) => {
      const base = `BIG${String(i).padStart(5, '0')}`;
      if (i % 50 === 0) return `${base}USED`;
      if (i % 50 === 1) return `${base}EXP`;
      if (i % 97 === 0) return `${base}ERR1`;
      if (i % 1000 === 7) return `${base}ERR`;
      return base;
    });
    const started = Date.now();
    const r = await bulk(t, m, codes);
    expect(r.json.status, r.text).toBe(1);
    expect(r.json.data.total_voucher).toBe(10_000);
    const projectId: string = r.json.data.project_id;
    await projectDone(t, projectId, 120_000);
    const elapsed = Date.now() - started;

    const rows = await vouchers(t, projectId);
    expect(rows.size).toBe(10_000);
    const counts = { pending: 0, success: 0, process: 0, error_engine: 0, error_voucher: 0 };
    const submissions = journal();
    for (const code of codes) {
      const v = rows.get(code)!;
      const e = expected(code);
      expect([code, v.status, v.nominal_gs]).toEqual([code, e.status, e.nominal]);
      counts[STATUS_NAMES[v.status]!] += 1;
      const s = submissions.get(code)!;
      expect([code, s.total, s.successes]).toEqual([code, e.submissions, e.status === 1 ? 1 : 0]);
    }
    expect(counts.error_engine).toBe(codes.filter((c) => expected(c).status === 3).length);
    expect(counts.error_engine).toBeGreaterThan(0);
    expect(codes.filter((c) => expected(c).submissions === 2).length).toBeGreaterThan(50);
    expect(counts.success).toBeGreaterThan(9000);

    const page = await detail(t, m, projectId, { page: 1, limit: 30 });
    expect(page.json.data.data.stats).toEqual(counts);
    expect(page.json.data.total_page).toBe(334);

    const fees = await t.kios.db.kysely.selectFrom('ledger_entries').select(['amount']).where('reseller_id', '=', m.id).where('kind', '=', 'redeem_fee').execute();
    expect(fees.length).toBe(counts.success);
    expect(fees.reduce((a, f) => a + f.amount, 0)).toBe(-counts.success * FEE);
    expect(await t.balance(m.id)).toBe(5_000_000 - counts.success * FEE);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);

    // The completion callback: signed like order callbacks, with the project's stats.
    const [cb] = await sink.waitFor(1);
    expect(cb!.url).toBe('/redeem-done');
    expect(cb!.headers['x-signature']).toBe(createHmac('sha256', m.apiKey).update(cb!.body).digest('hex'));
    expect(JSON.parse(cb!.body)).toMatchObject({ event: 'redeem.project.completed', project_id: projectId, merchant_id: m.merchantId, total_voucher: 10_000, stats: counts });
    // The session key is forgotten once the project is done.
    const p = await t.kios.db.kysely.selectFrom('redeem_projects').select('session_key_enc').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(p.session_key_enc).toBeNull();
    expect(elapsed).toBeLessThan(120_000);
    await t.kios.redeem.setFee('platinum', 0);
  }, 180_000);

  it('pages are an index range on (project, n): the same plan for the first and the last page', async () => {
    const db = t.kios.db.kysely;
    const query = (lo: number, hi: number) => db.selectFrom('redeem_vouchers').selectAll().where('project_seq', '=', 1).where('n', '>=', lo).where('n', '<=', hi).orderBy('n', 'desc').compile();
    for (const [lo, hi] of [[9971, 10_000], [1, 30]] as const) {
      const c = query(lo, hi);
      const plan =
        t.kios.db.dialect === 'sqlite'
          ? (await sql.raw<{ detail: string }>(`explain query plan ${inline(c.sql, c.parameters)}`).execute(db)).rows.map((r) => r.detail).join('\n')
          : await t.kios.db.transaction(async (trx) => {
              // A small table may be scanned whole; what matters is that the index serves the page.
              await sql`set local enable_seqscan = off`.execute(trx);
              return (await sql.raw<{ 'QUERY PLAN': string }>(`explain ${inline(c.sql, c.parameters)}`).execute(trx)).rows.map((r) => r['QUERY PLAN']).join('\n');
            });
      expect(plan).toMatch(/redeem_vouchers_project_n_uq/);
      expect(plan).not.toMatch(/TEMP B-TREE|Sort/i);
    }
  });

  it('engine faults are retried with back-off and end error_engine only after the retries; kios redeem retry sends them again', async () => {
    const m = await merchant(t);
    await t.kios.resellers.setWebhook(m.id, `${sink.url}/retry`);
    const r = await bulk(t, m, ['RETRY001ERR1', 'RETRY002ERR', 'RETRY003']);
    const projectId = r.json.data.project_id;
    await projectDone(t, projectId);
    let rows = await vouchers(t, projectId);
    expect([...rows.values()].map((v) => [v.code, v.status, v.tries])).toEqual([
      ['RETRY001ERR1', 1, 2],
      ['RETRY002ERR', 3, MAX_ENGINE_TRIES],
      ['RETRY003', 1, 1],
    ]);
    expect(rows.get('RETRY002ERR')!.note).toMatch(/gagal setelah 5 percobaan/);
    await eventually(() => expect(sink.received.filter((c) => c.url === '/retry').length).toBe(1));

    expect(await t.kios.redeem.retry(projectId)).toBe(1);
    await eventually(async () => {
      rows = await vouchers(t, projectId);
      expect(rows.get('RETRY002ERR')!.tries).toBe(MAX_ENGINE_TRIES);
      await projectDone(t, projectId, 100);
    });
    expect(journal().get('RETRY002ERR')).toEqual({ total: 2 * MAX_ENGINE_TRIES, successes: 0 });
    expect(journal().get('RETRY003')).toEqual({ total: 1, successes: 1 });
    // A second completion, a second callback.
    await eventually(() => expect(sink.received.filter((c) => c.url === '/retry').length).toBe(2));
    const mine = sink.received.filter((c) => c.url === '/retry').map((c) => JSON.parse(c.body).project_id);
    expect(mine).toEqual([projectId, projectId]);
  });

  it('a balance that cannot cover the next fee keeps vouchers pending with a note until a top-up', async () => {
    await t.kios.redeem.setFee('gold', FEE);
    const m = await merchant(t, { balance: 2 * FEE + 10, role: 'gold' });
    const r = await bulk(t, m, ['POOR0001', 'POOR0002', 'POOR0003', 'POOR0004', 'POOR0005USED']);
    const projectId = r.json.data.project_id;
    const waiting = await eventually(async () => {
      const rows = [...(await vouchers(t, projectId)).values()];
      const stuck = rows.filter((v) => v.status === 0);
      expect(rows.filter((v) => v.status === 1).length).toBe(2);
      expect(stuck.length).toBeGreaterThan(0);
      for (const v of stuck) expect(v.note).toMatch(/^Menunggu saldo: saldo Rp \d+ tidak cukup untuk biaya redeem Rp 150 per voucher/);
      return stuck;
    });
    expect(waiting.length).toBe(3);
    expect(await t.balance(m.id)).toBe(10);
    const d = await detail(t, m, projectId);
    expect(d.json.data.data.stats.pending).toBe(3);
    await t.kios.resellers.deposit(m.id, 1000);
    await projectDone(t, projectId);
    const rows = await vouchers(t, projectId);
    expect([...rows.values()].map((v) => v.status)).toEqual([1, 1, 1, 1, 4]);
    expect(await t.balance(m.id)).toBe(2 * FEE + 10 + 1000 - 4 * FEE);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('a code this reseller already redeemed is error_voucher without the engine; duplicates inside a project are recorded once; other resellers are not affected', async () => {
    const m = await merchant(t);
    const first = await bulk(t, m, ['ONCE0001', 'ONCE0002BAD']);
    await projectDone(t, first.json.data.project_id);
    const second = await bulk(t, m, ['ONCE0001', 'ONCE0002BAD', 'ONCE0003', 'ONCE0003']);
    expect(second.json.data.total_voucher).toBe(3);
    expect(second.json.data.stats).toMatchObject({ error_voucher: 1, pending: 2 });
    await projectDone(t, second.json.data.project_id);
    const rows = await vouchers(t, second.json.data.project_id);
    expect(rows.get('ONCE0001')).toMatchObject({ status: 4, note: `Voucher sudah berhasil di-redeem di project ${first.json.data.project_id}` });
    expect(rows.get('ONCE0002BAD')).toMatchObject({ status: 4, note: 'Kode voucher tidak valid' });
    expect(rows.get('ONCE0003')).toMatchObject({ status: 1 });
    expect(journal().get('ONCE0001')).toEqual({ total: 1, successes: 1 });
    expect(journal().get('ONCE0002BAD')?.total).toBe(2); // a rejected code is the engine's to judge again
    // Nothing left for the engine: the project is done at intake, without a job.
    const third = await bulk(t, m, ['ONCE0001']);
    expect(third.json.data.stats).toEqual({ pending: 0, success: 0, process: 0, error_engine: 0, error_voucher: 1 });
    const closed = await t.kios.db.kysely.selectFrom('redeem_projects').select('status').where('project_id', '=', third.json.data.project_id).executeTakeFirstOrThrow();
    expect(closed.status).toBe('done');
    const jobs = await t.kios.db.kysely.selectFrom('jobs').select('id').where('dedupe_key', '=', `redeem:${third.json.data.project_id}`).execute();
    expect(jobs).toEqual([]);
    expect(journal().get('ONCE0001')).toEqual({ total: 1, successes: 1 });
    const stranger = await merchant(t);
    const theirs = await bulk(t, stranger, ['ONCE0001']);
    await projectDone(t, theirs.json.data.project_id);
    expect((await vouchers(t, theirs.json.data.project_id)).get('ONCE0001')!.status).toBe(1);
  });
});

/** Parameters inlined (numbers only here), for EXPLAIN. */
function inline(text: string, params: readonly unknown[]): string {
  let i = 0;
  return text.replace(/\?|\$\d+/g, () => String(params[i++]));
}
