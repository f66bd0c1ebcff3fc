import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { SIMULATOR_JOURNAL, SimulatorRedeemEngine } from '../../src/redeem/simulator.js';
import { builtKios, type BuiltKios } from '../helpers/built-kios.js';
import { DIALECTS } from '../helpers/databases.js';
import { KiosProcess } from '../helpers/pipeline.js';
import { encodeCodes, redeemSignature, simulatedEnd } from '../helpers/redeem.js';
import { eventually } from '../helpers/wait.js';

/**
 * Crash safety of redeem projects in a real `kios serve` process (the compiled dist/): it is
 * SIGKILLed twice while a 4,000-code project is being redeemed, each time while a batch is in the
 * engine's journal and not yet recorded by kios (the dangerous window: a careless restart would
 * send those codes again), then restarted. Afterwards every voucher is final as its code says,
 * none is lost, no code was submitted more often than its outcome needs (so never again after a
 * success), fees equal successes times the fee and the ledger verifies.
 */

const FEE = 100;
const CODES = Array.from({ length: 4000 }, (_, i) => {
  const base = `CRASH${String(i).padStart(5, '0')}`;
  return i % 40 === 0 ? `${base}USED` : i % 33 === 0 ? `${base}ERR1` : base;
});

describe.each(DIALECTS)('redeem crash safety (%s)', (dialect) => {
  let kios: BuiltKios;
  let reader: Db;
  let proc: KiosProcess;
  let merchant: { merchantId: string; apiKey: string; id: string };

  beforeAll(async () => {
    // Each engine call takes 80 ms after the engine has journaled the batch: a wide window.
    kios = await builtKios(dialect, { SIMULATOR_LATENCY_MS: '80', JOB_LEASE_MS: '1000' }, async (k) => {
      const created = await k.resellers.create({ name: 'Crash Redeemer', email: 'crash-redeem@example.com', role: 'member', balance: 1_000_000 });
      await k.redeem.setFee('member', FEE);
      merchant = { id: created.reseller.id, apiKey: created.apiKey, merchantId: created.reseller.merchantId! };
    });
    ({ reader, proc } = kios);
  });

  afterAll(async () => {
    await kios?.close();
  });

  const journal = () => SimulatorRedeemEngine.submissions(join(kios.db.dataDir, SIMULATOR_JOURNAL));

  /** Batches the engine has journaled that kios still has as `sending`: where a kill hurts. */
  async function unrecorded(): Promise<string[]> {
    const sending = await reader.kysely.selectFrom('redeem_batches').select('id').where('state', '=', 'sending').execute();
    if (sending.length === 0) return [];
    const codes = await reader.kysely.selectFrom('redeem_vouchers').select(['code', 'batch_id']).where('batch_id', 'in', sending.map((b) => b.id)).where('status', '=', 2).execute();
    const j = journal();
    return [...new Set(codes.filter((c) => j.has(c.code)).map((c) => c.batch_id!))];
  }

  it('SIGKILLed twice mid-project, it loses and duplicates nothing', async () => {
    await proc.start();
    const res = await fetch(`${proc.url}/merchant/${merchant.merchantId}/kiosgamer/redem/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kode_voucher: encodeCodes(CODES), session_key: 'crash-session', signature: redeemSignature(merchant) }),
    });
    const created = (await res.json()) as { status: number; data: { project_id: string; total_voucher: number } };
    expect(created.status).toBe(1);
    const projectId = created.data.project_id;

    for (let kill = 0; kill < 2; kill++) {
      // Wait for progress, then for a batch in the window, and kill.
      await eventually(async () => {
        const done = await reader.kysely.selectFrom('redeem_vouchers').select('id').where('status', '=', 1).limit(200 * (kill + 1) + 1).execute();
        expect(done.length).toBeGreaterThan(200 * (kill + 1));
        expect((await unrecorded()).length).toBeGreaterThan(0);
      }, 30_000, 5);
      await proc.kill();
      expect((await unrecorded()).length, 'the kill landed with a batch the engine has and kios has not recorded').toBeGreaterThan(0);
      await proc.start();
    }

    await eventually(async () => {
      const p = await reader.kysely.selectFrom('redeem_projects').select('status').where('project_id', '=', projectId).executeTakeFirstOrThrow();
      expect(p.status).toBe('done');
    }, 60_000, 50);

    const rows = await reader.kysely.selectFrom('redeem_vouchers').select(['code', 'status', 'nominal_gs', 'fee_entry']).where('reseller_id', '=', merchant.id).execute();
    expect(rows.length).toBe(CODES.length);
    const byCode = new Map(rows.map((r) => [r.code, r]));
    const j = journal();
    let successes = 0;
    for (const code of CODES) {
      const e = simulatedEnd(code);
      const v = byCode.get(code)!;
      expect([code, v.status, v.nominal_gs]).toEqual([code, e.status, e.nominal]);
      // Re-submitted batches after a crash are answered from the engine's record, never redeemed again.
      expect([code, j.get(code)?.total, j.get(code)?.successes]).toEqual([code, e.submissions, e.status === 1 ? 1 : 0]);
      if (v.status === 1) {
        successes += 1;
        expect(v.fee_entry).not.toBeNull();
      }
    }
    const fees = await reader.kysely.selectFrom('ledger_entries').select('amount').where('kind', '=', 'redeem_fee').execute();
    expect(fees.length).toBe(successes);
    expect(fees.reduce((a, f) => a + f.amount, 0)).toBe(-successes * FEE);
    expect(await verifyLedger(reader.kysely)).toEqual([]);
  }, 180_000);
});
