import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { MAX_ENGINE_TRIES } from '../../src/redeem/process.js';
import { simulatedOutcome } from '../../src/redeem/simulator.js';
import type { TestKios } from './kios.js';
import { eventually } from './wait.js';

/** A reseller of the redeem API: its merchant id and secret key (the API key). */
export interface Merchant {
  id: string;
  merchantId: string;
  apiKey: string;
}

export const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** `md5(merchant_id + secret_key)`, as the document's signature formula says. */
export const redeemSignature = (m: { merchantId: string; apiKey: string }) => md5(`${m.merchantId}${m.apiKey}`);

export const encodeCodes = (codes: string[]) => Buffer.from(codes.join('\n'), 'utf8').toString('base64');

export async function merchant(t: TestKios, o: { balance?: number; role?: string } = {}): Promise<Merchant> {
  const r = await t.reseller(o);
  const row = await t.kios.resellers.get(r.id);
  return { id: r.id, apiKey: r.apiKey, merchantId: row.merchantId! };
}

export function bulk(t: TestKios, m: Merchant, codes: string[], extra: Record<string, unknown> = {}) {
  return t.request<any>('POST', `/merchant/${m.merchantId}/kiosgamer/redem/bulk`, {
    body: { kode_voucher: encodeCodes(codes), session_key: 'sess-123', signature: redeemSignature(m), ...extra },
  });
}

export function detail(t: TestKios, m: Merchant, projectId: string, extra: Record<string, unknown> = {}) {
  return t.request<any>('POST', `/merchant/${m.merchantId}/kiosgamer/project/detail`, {
    body: { projectid: projectId, status: '', page: 1, limit: 30, signature: redeemSignature(m), ...extra },
  });
}

/** Waits until the project is done; returns its stats from the database. */
export async function projectDone(t: TestKios, projectId: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const p = await t.kios.db.kysely.selectFrom('redeem_projects').selectAll().where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(p.status).toBe('done');
    return p;
  }, timeoutMs, 25);
}

/** Every voucher of a project, by code. */
export async function vouchers(t: TestKios, projectId: string) {
  const rows = await t.kios.db.kysely
    .selectFrom('redeem_vouchers as v')
    .innerJoin('redeem_projects as p', 'p.seq', 'v.project_seq')
    .selectAll('v')
    .where('p.project_id', '=', projectId)
    .orderBy('v.n')
    .execute();
  return new Map(rows.map((r) => [r.code, r]));
}

/** Row counts of the redeem tables and the ledger: proof a refused request stored nothing. */
export async function redeemSnapshot(t: TestKios) {
  const k = t.kios.db.kysely;
  const count = async (table: 'redeem_projects' | 'redeem_vouchers' | 'redeem_batches' | 'jobs' | 'ledger_entries') =>
    Number((await k.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { projects: await count('redeem_projects'), vouchers: await count('redeem_vouchers'), batches: await count('redeem_batches'), jobs: await count('jobs'), ledger: await count('ledger_entries') };
}

/** What the simulator's table says a code ends as (status, nominal_gs), and after how many submissions. */
export function simulatedEnd(code: string): { status: number; nominal: number; submissions: number } {
  const first = simulatedOutcome(code, 0);
  if (first.kind === 'rejected') return { status: 4, nominal: 0, submissions: 1 };
  if (first.kind === 'success') return { status: 1, nominal: first.nominalGs, submissions: 1 };
  const second = simulatedOutcome(code, 1);
  if (second.kind === 'success') return { status: 1, nominal: second.nominalGs, submissions: 2 };
  return { status: 3, nominal: 0, submissions: MAX_ENGINE_TRIES };
}
