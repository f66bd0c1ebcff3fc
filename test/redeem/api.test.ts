import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { bulk, detail, encodeCodes, merchant, md5, projectDone, redeemSignature, redeemSnapshot, type Merchant } from '../helpers/redeem.js';

/**
 * The APIGames-shaped redeem API against the published document
 * (test/fixtures/spec/apigames-kiosgamer-project-detail.txt, a copy of the shared spec): the
 * example answer rebuilt key for key, type for type, order for order; each documented error
 * with its exact body; junk in every field answered in the documented envelope, never a 500,
 * with nothing stored.
 */

const DOC = readFileSync(fileURLToPath(new URL('../fixtures/spec/apigames-kiosgamer-project-detail.txt', import.meta.url)), 'utf8');

/** The JSON objects of the document that follow `marker`, in order (balanced braces). */
function documentObjects(marker: string): unknown[] {
  const text = DOC.slice(DOC.indexOf(marker) + marker.length);
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

const EXAMPLE = documentObjects('Contoh Response Sukses')[0] as any;
const ERRORS = documentObjects('Contoh Response Gagal') as { status: number; rc: number; error_msg: string }[];
const errorBody = (msg: string) => JSON.stringify(ERRORS.find((e) => e.error_msg === msg) ?? (() => { throw new Error(`no documented error "${msg}"`); })());

/** Keys in order and JSON types; an array is the shape of its elements (which must all agree). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) {
    const shapes = v.map(shape);
    for (const s of shapes) expect(JSON.stringify(s)).toBe(JSON.stringify(shapes[0]));
    return ['array', shapes[0] ?? null];
  }
  if (v === null) return 'null';
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)]);
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

describe.each(DIALECTS)('redeem API, APIGames shape (%s)', (dialect) => {
  let t: TestKios;
  let m: Merchant;
  let other: Merchant;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    m = await merchant(t);
    other = await merchant(t);
  });
  afterAll(async () => t?.close());

  it('the document\'s example, rebuilt from a project with the same vouchers, matches key for key, type for type, order for order', async () => {
    expect(EXAMPLE.data.data.vouchers).toHaveLength(3);
    // The worker is stopped so the vouchers stay pending (status 0), as in the example.
    await t.running.worker!.stop();
    try {
      const codes = (EXAMPLE.data.data.vouchers as { voucher_code: string }[]).map((v) => v.voucher_code).reverse(); // the example lists newest first
      const created = await bulk(t, m, codes);
      expect(created.json.status, created.text).toBe(1);
      const r = await detail(t, m, created.json.data.project_id, { status: '', page: 1, limit: 30 });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.stringify(shape(r.json))).toBe(JSON.stringify(shape(EXAMPLE)));
      // Every value that does not depend on ids, dates or the engine is the example's.
      const a = r.json;
      const e = EXAMPLE;
      expect([a.status, a.rc, a.message]).toEqual([e.status, e.rc, e.message]);
      expect([a.data.current_page, a.data.total_data, a.data.total_page]).toEqual([e.data.current_page, e.data.total_data, e.data.total_page]);
      expect(a.data.data.total_voucher).toBe(e.data.data.total_voucher);
      expect(a.data.data.stats).toEqual(e.data.data.stats);
      expect(a.data.data.merchant_id).toBe(m.merchantId);
      expect(a.data.data.vouchers.map((v: any) => v.voucher_code)).toEqual(e.data.data.vouchers.map((v: any) => v.voucher_code));
      expect(a.data.data.vouchers.map((v: any) => [v.response_json, v.note, v.status])).toEqual(e.data.data.vouchers.map((v: any) => [v.response_json, v.note, v.status]));
      // Newest first: descending ids, as the example's 23456, 23455, 23454.
      const ids = a.data.data.vouchers.map((v: any) => v.id);
      expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x));
      expect(a.data.data.vouchers.every((v: any) => v.project_id === a.data.data.project_id)).toBe(true);
      expect(a.data.data.vouchers[0].created).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(a.data.data.vouchers[0].cretaed_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(a.data.data.vouchers[0].cretaed_at.startsWith(a.data.data.vouchers[0].created)).toBe(true);
      expect(a.data.data.project_id).toMatch(/^R\d{6}[A-Z]{4}\d{6}$/);
      expect(a.data.data.kategori_voucher).toEqual([{ name: '0', total: 3 }]);
      expect(Math.abs(a.ts - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      t.running.worker!.start();
    }
  });

  it('bulk answers the project id, total_voucher and per-status counts; duplicates are recorded once', async () => {
    const r = await bulk(t, m, ['DUP0001', 'DUP0002', 'DUP0001', 'DUP0003']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 1, rc: 200, message: 'Bulk Redem Kiosgamer' });
    expect(Object.keys(r.json)).toEqual(['status', 'rc', 'message', 'data', 'ts']);
    expect(Object.keys(r.json.data)).toEqual(['id', 'merchant_id', 'project_id', 'total_voucher', 'stats']);
    expect(r.json.data.total_voucher).toBe(3);
    expect(r.json.data.stats).toEqual({ pending: 3, success: 0, process: 0, error_engine: 0, error_voucher: 0 });
    await projectDone(t, r.json.data.project_id);
  });

  it('each documented error has its exact body', async () => {
    const before = await redeemSnapshot(t);
    const bad = await t.request('POST', `/merchant/${m.merchantId}/kiosgamer/redem/bulk`, { rawBody: '{"kode_voucher": ', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.text]).toEqual([200, errorBody('Data JSON tidak valid')]);

    const unknown = await t.request('POST', '/merchant/M000000NOBODY000/kiosgamer/project/detail', { body: { projectid: 'X', signature: redeemSignature({ merchantId: 'M000000NOBODY000', apiKey: m.apiKey }) } });
    expect([unknown.status, unknown.text]).toEqual([200, errorBody('Merchant not found')]);

    const sig = await bulk(t, m, ['SIG0001'], { signature: md5(`${m.merchantId}wrong-key`) });
    expect([sig.status, sig.text]).toEqual([200, errorBody('Signature Not Valid')]);
    // The other reseller's key does not sign for this merchant.
    const swapped = await bulk(t, m, ['SIG0001'], { signature: redeemSignature({ merchantId: m.merchantId, apiKey: other.apiKey }) });
    expect(swapped.text).toBe(errorBody('Signature Not Valid'));

    const missing = await detail(t, m, 'R000000NONE000000');
    expect([missing.status, missing.text]).toEqual([200, errorBody('Project ID tidak ditemukan')]);
    expect(await redeemSnapshot(t)).toEqual(before);
  });

  it("another reseller's project is Project ID tidak ditemukan", async () => {
    const mine = await bulk(t, m, ['ISO0001']);
    const r = await detail(t, other, mine.json.data.project_id);
    expect(r.text).toBe(errorBody('Project ID tidak ditemukan'));
    const own = await detail(t, m, mine.json.data.project_id);
    expect(own.json.status).toBe(1);
  });

  it('junk in every field gets the documented envelope, never a 500, and stores nothing', async () => {
    await eventuallyIdle(t);
    const before = await redeemSnapshot(t);
    const sig = redeemSignature(m);
    const invalid = JSON.stringify({ status: 0, rc: 400, error_msg: 'Data JSON tidak valid' });
    const badSig = errorBody('Signature Not Valid');
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const bulkCases: [string, unknown, string][] = [
      ['array body', [1, 2], invalid],
      ['string body', 'hello', invalid],
      ['number body', 42, invalid],
      ['null body', null, invalid],
      ['empty object', {}, invalid],
      ['no kode_voucher', { signature: sig }, invalid],
      ['kode_voucher number', { kode_voucher: 12345, signature: sig }, invalid],
      ['kode_voucher array', { kode_voucher: ['QUJD'], signature: sig }, invalid],
      ['kode_voucher object', { kode_voucher: { a: 1 }, signature: sig }, invalid],
      ['kode_voucher empty', { kode_voucher: '', signature: sig }, invalid],
      ['kode_voucher not base64', { kode_voucher: 'not base64!!', signature: sig }, invalid],
      ['kode_voucher base64 of nothing but newlines', { kode_voucher: b64('\n\n\r\n'), signature: sig }, invalid],
      ['kode_voucher over-long code', { kode_voucher: b64(`${'A'.repeat(65)}\nGOOD0001`), signature: sig }, invalid],
      ['kode_voucher code with a space', { kode_voucher: b64('AB CD\nGOOD0001'), signature: sig }, invalid],
      ['kode_voucher code with NUL', { kode_voucher: b64('AB\u0000CD'), signature: sig }, invalid],
      ['kode_voucher binary', { kode_voucher: Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'), signature: sig }, invalid],
      ['kode_voucher 10,001 codes', { kode_voucher: encodeCodes(Array.from({ length: 10_001 }, (_, i) => `MANY${i}`)), signature: sig }, invalid],
      ['session_key number', { kode_voucher: encodeCodes(['GOOD0001']), session_key: 7, signature: sig }, invalid],
      ['session_key object', { kode_voucher: encodeCodes(['GOOD0001']), session_key: { a: 1 }, signature: sig }, invalid],
      ['session_key over-long', { kode_voucher: encodeCodes(['GOOD0001']), session_key: 'k'.repeat(5000), signature: sig }, invalid],
      ['session_key control characters', { kode_voucher: encodeCodes(['GOOD0001']), session_key: 'a\u0000b', signature: sig }, invalid],
      ['signature missing', { kode_voucher: encodeCodes(['GOOD0001']) }, invalid],
      ['signature number', { kode_voucher: encodeCodes(['GOOD0001']), signature: 123 }, invalid],
      ['signature array', { kode_voucher: encodeCodes(['GOOD0001']), signature: [sig] }, invalid],
      ['signature empty', { kode_voucher: encodeCodes(['GOOD0001']), signature: '' }, invalid],
      ['signature huge', { kode_voucher: encodeCodes(['GOOD0001']), signature: 'a'.repeat(10_000) }, invalid],
      ['signature wrong', { kode_voucher: encodeCodes(['GOOD0001']), signature: 'f'.repeat(32) }, badSig],
    ];
    for (const [name, body, expected] of bulkCases) {
      const r = await t.request('POST', `/merchant/${m.merchantId}/kiosgamer/redem/bulk`, { body });
      expect([name, r.status, r.text]).toEqual([name, 200, expected]);
    }
    const project = (await bulkProject(t, m)).project_id;
    const after = await redeemSnapshot(t);
    const detailCases: [string, Record<string, unknown>][] = [
      ['projectid missing', { signature: sig }],
      ['projectid object', { projectid: { a: 1 }, signature: sig }],
      ['projectid array', { projectid: [project], signature: sig }],
      ['projectid empty', { projectid: '', signature: sig }],
      ['projectid over-long', { projectid: 'R'.repeat(100), signature: sig }],
      ['status word', { projectid: project, status: 'success', signature: sig }],
      ['status 5', { projectid: project, status: 5, signature: sig }],
      ['status -1', { projectid: project, status: -1, signature: sig }],
      ['status fraction', { projectid: project, status: 1.5, signature: sig }],
      ['status array', { projectid: project, status: [1], signature: sig }],
      ['page 0', { projectid: project, page: 0, signature: sig }],
      ['page negative', { projectid: project, page: -3, signature: sig }],
      ['page word', { projectid: project, page: 'one', signature: sig }],
      ['page fraction', { projectid: project, page: 1.5, signature: sig }],
      ['page huge', { projectid: project, page: 1e12, signature: sig }],
      ['limit 0', { projectid: project, limit: 0, signature: sig }],
      ['limit huge', { projectid: project, limit: 100_000, signature: sig }],
      ['limit object', { projectid: project, limit: { n: 1 }, signature: sig }],
      ['signature missing', { projectid: project }],
    ];
    for (const [name, body] of detailCases) {
      const r = await t.request('POST', `/merchant/${m.merchantId}/kiosgamer/project/detail`, { body });
      expect([name, r.status, r.text]).toEqual([name, 200, invalid]);
    }
    for (const path of [`/merchant/${'M'.repeat(150)}/kiosgamer/project/detail`, '/merchant/%00/kiosgamer/project/detail', '/merchant/%E0%A4%A/kiosgamer/redem/bulk']) {
      const r = await t.request('POST', path, { body: { projectid: project, signature: sig } });
      expect(r.status, `${path}: ${r.text}`).toBeLessThan(500);
      expect(r.json).toMatchObject({ status: 0 });
    }
    // Beyond the redeem API's 2 MiB (far above 10,000 codes): 413, in the same envelope.
    const huge = await t.request('POST', `/merchant/${m.merchantId}/kiosgamer/redem/bulk`, { body: { kode_voucher: 'QUJD'.repeat(700_000), signature: sig } });
    expect([huge.status, huge.text]).toEqual([413, JSON.stringify({ status: 0, rc: 413, error_msg: 'Data JSON tidak valid' })]);
    expect(await redeemSnapshot(t)).toEqual(after);
    expect(after.projects).toBe(before.projects + 1);
  });

  it('pages newest first, by status, in fixed-size pages', async () => {
    const codes = Array.from({ length: 25 }, (_, i) => `PAGE${String(i).padStart(3, '0')}${i % 5 === 0 ? 'BAD' : ''}`);
    const created = await bulk(t, m, codes);
    const projectId = created.json.data.project_id;
    await projectDone(t, projectId);
    const pages = [];
    for (let page = 1; page <= 3; page++) pages.push((await detail(t, m, projectId, { page, limit: 10 })).json.data);
    expect(pages.map((p) => p.data.vouchers.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => [p.current_page, p.total_data, p.total_page])).toEqual([[1, 25, 3], [2, 25, 3], [3, 25, 3]]);
    expect(pages.flatMap((p) => p.data.vouchers.map((v: any) => v.voucher_code))).toEqual([...codes].reverse());
    const beyond = await detail(t, m, projectId, { page: 4, limit: 10 });
    expect(beyond.json.data.data.vouchers).toEqual([]);
    const failed = await detail(t, m, projectId, { status: 4, limit: 2, page: 1 });
    expect(failed.json.data.total_data).toBe(5);
    expect(failed.json.data.total_page).toBe(3);
    expect(failed.json.data.data.vouchers.map((v: any) => [v.voucher_code, v.status, v.note])).toEqual([
      ['PAGE020BAD', 4, 'Kode voucher tidak valid'],
      ['PAGE015BAD', 4, 'Kode voucher tidak valid'],
    ]);
    const asString = await detail(t, m, projectId, { status: '1', page: '1', limit: '50' });
    expect(asString.json.data.total_data).toBe(20);
    expect(asString.json.data.data.stats).toEqual({ pending: 0, success: 20, process: 0, error_engine: 0, error_voucher: 5 });
    expect(asString.json.data.data.kategori_voucher).toEqual([
      { name: '0', total: 5 },
      { name: '25', total: 9 },
      { name: '50', total: 5 },
      { name: '100', total: 6 },
    ]);
  });

  it('the IP whitelist applies, in the same envelope', async () => {
    const w = await merchant(t);
    await t.kios.resellers.whitelist(w.id, 'add', '203.0.113.7');
    const r = await bulk(t, w, ['WHITE0001']);
    expect([r.status, r.text]).toEqual([200, JSON.stringify({ status: 0, rc: 403, error_msg: 'IP address not whitelisted' })]);
  });
});

async function bulkProject(t: TestKios, m: Merchant): Promise<{ project_id: string }> {
  const r = await bulk(t, m, ['JUNK0001']);
  expect(r.json.status, r.text).toBe(1);
  await projectDone(t, r.json.data.project_id);
  return r.json.data;
}

/** Waits for every project to be done, so that counts taken next stay still. */
async function eventuallyIdle(t: TestKios): Promise<void> {
  const open = await t.kios.db.kysely.selectFrom('redeem_projects').select('project_id').where('status', '=', 'open').execute();
  for (const p of open) await projectDone(t, p.project_id);
}
