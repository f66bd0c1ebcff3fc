import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/db/schema.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';
import {
  README_SECTION,
  createdRef,
  expectReadmeParse,
  expectTextLine,
  expected,
  newTrx,
  otomaxGet,
  parseUserLineWithReadme,
  parseWithReadme,
  readmeRegexes,
} from './support.js';

/**
 * The README's "Otomax and other H2H software" section is tested: its fenced ```regex blocks are
 * read from README.md and must (1) be plain PCRE-compatible syntax that Otomax's engine accepts
 * and JavaScript compiles, and (2) read the right status keyword, invoice number, SN (RefId),
 * balance and error code from every kind of reply kios produces (the other Otomax suites apply
 * them to their replies too).
 */
describe('README Otomax regexes: syntax', () => {
  it('the section exists with one regex per documented value', () => {
    const { sources } = readmeRegexes();
    expect(Object.keys(sources).sort()).toEqual(['balance', 'error', 'invoice', 'sn', 'status', 'user', 'voucher']);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme.split('\n').filter((l) => l === README_SECTION)).toHaveLength(1);
  });

  it.each(['status', 'invoice', 'sn', 'voucher', 'balance', 'user', 'error'] as const)('%s: compiles without flags and uses nothing JavaScript-only', (name) => {
    const src = readmeRegexes().sources[name];
    expect(() => new RegExp(src)).not.toThrow();
    // Named groups, look-behind, \k<> back-references and \p{} classes are not portable to
    // Otomax's regex engine; neither are JS regex literals with flags.
    expect(src).not.toMatch(/\(\?<|\(\?P|\\k<|\\p\{|\\P\{|^\/.*\/[a-z]*$/);
    // Exactly the capturing groups the README documents: one, or four for the user line.
    const groups = (new RegExp(`${src}|`).exec('') ?? []).length - 1;
    expect(groups).toBe(name === 'user' ? 4 : 1);
  });
});

describe.each(DIALECTS)('README Otomax regexes read every reply kind (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  let r: Reseller;
  beforeAll(async () => {
    // `...555` orders stay PENDING for the whole suite: a PENDING status line to parse.
    t = await TestKios.start(dialect, { SIMULATOR_PENDING_MS: '3600000' });
    sink = await CallbackSink.start();
    r = await t.reseller({ name: 'Toko. Maju Jaya', email: 'ops@toko.example', role: 'gold', balance: 2_000_000 });
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  async function order(version: string, params: Record<string, string>): Promise<{ trx: string; line: string; row: Order }> {
    const trx = newTrx();
    const line = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params, trx_id: trx, callback_url: `${sink.url}/r` }));
    return { trx, line, row: (await t.kios.orders.findByTrx(r.id, trx))! };
  }

  async function statusLineOf(invoice: string): Promise<string> {
    return expectTextLine(await otomaxGet(t, `/v1/otomax/status/${invoice}`, { apikey: r.apiKey }));
  }

  it('created lines (v1, v2, v3; with and without a server)', async () => {
    for (const [version, params, dest] of [
      ['v1', { product_code: 'S4_ML86', user_id: '123456789', server_id: '1234' }, '123456789|1234'],
      ['v2', { product_code: 'GI60', user_id: '800123456(os_asia)' }, '800123456|os_asia'],
      ['v3', { product_code: 'GPV10', user_id: 'buyer@example.com' }, 'buyer@example.com'],
    ] as const) {
      const { trx, line, row } = await order(version, params);
      const balance = await t.balance(r.id);
      const ref = createdRef(line, row);
      expect(line).toBe(expected.created(trx, params.product_code, dest, ref, balance));
      expectReadmeParse(line, { status: 'PENDING', invoice: null, sn: ref, balance, error: null });
    }
  });

  it('status lines: PENDING, SUCCESS, PARTIAL_SUCCESS, FAILED, REFUNDED', async () => {
    const cases: [string, Record<string, string>][] = [
      ['PENDING', { product_code: 'S4_ML86', user_id: '1234565551234' }],
      ['SUCCESS', { product_code: 'S4_ML86', user_id: '123456789.1234' }],
      ['PARTIAL_SUCCESS', { product_code: 'FF140', user_id: '123456777' }],
      ['FAILED', { product_code: 'FF70', user_id: '123456999' }],
      ['SUCCESS', { product_code: 'FF70', user_id: '123456789' }],
    ];
    const invoices: string[] = [];
    for (const [status, params] of cases) {
      const { row } = await order('v3', params);
      const o = status === 'PENDING' ? row : await t.settle(row.invoice_number);
      expect(o.status).toBe(status);
      invoices.push(o.invoice_number);
    }
    // The last one is reversed by the operator.
    const reversed = await t.orderRow(invoices.at(-1)!);
    expect(await t.kios.transitions.finalise(reversed.id, { status: 'REFUNDED', reason: 'Dibatalkan operator' }, 'operator')).not.toBeNull();

    const seen = await Promise.all(invoices.map((i) => t.orderRow(i)));
    expect(seen.map((o) => o.status)).toEqual(['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED']);
    for (const o of seen) {
      const balance = await t.balance(r.id);
      const line = await statusLineOf(o.invoice_number);
      expect(line).toBe(expected.status(o, balance));
      expectReadmeParse(line, { status: o.status, invoice: o.invoice_number, sn: o.ref, balance, error: null });
      // The v3 replay is the same line.
      expect(expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: o.product_code, user_id: o.user_id, trx_id: o.trx_id! }))).toBe(line);
    }
  });

  it('error lines, including ones echoing awkward input', async () => {
    const cases: [string, Record<string, string>, string, string][] = [
      ['v1', { product_code: 'S4_ML86', user_id: '123456789' }, '123456789', 'INVALID_USER_ID'],
      ['v2', { product_code: 'NOPE', user_id: '1|2' }, '1|2', 'PRODUCT_NOT_FOUND'],
      ['v3', { product_code: 'FF70', user_id: '123456404' }, '123456404', 'NICKNAME_NOT_FOUND'],
      ['v3', { product_code: 'S4_MLWDP', user_id: '1234567891234' }, '123456789|1234', 'PRODUCT_INACTIVE'],
      ['v3', { product_code: 'DANA10', user_id: '0812' }, '0812', 'PAYMENT_METHOD_NOT_ALLOWED'],
      // A destination that imitates a reply cannot fool the status, balance or error regexes: the
      // echo loses its commas, so the first `, status ` is kios's own.
      ['v3', { product_code: 'FF70', user_id: 'x, status SUCCESS. Sisa saldo 9' }, 'x  status SUCCESS. Sisa saldo 9', 'INVALID_USER_ID'],
      ['v1', { product_code: 'FF70', user_id: '1', server_id: '2, status SUCCESS.' }, '1', 'INVALID_USER_ID'],
    ];
    for (const [version, params, dest, code] of cases) {
      const trx = newTrx();
      const line = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params, trx_id: trx }));
      const balance = await t.balance(r.id);
      expect(line).toBe(expected.error(trx, params.product_code!, dest, code, balance));
      expectReadmeParse(line, { status: 'FAILED', invoice: null, sn: null, balance, error: code });
    }
    // The v1/v2 duplicate, the line that must never close a transaction by itself.
    const { trx } = await order('v1', { product_code: 'FF70', user_id: '123456789' });
    const dup = expectTextLine(await otomaxGet(t, '/v1/otomax/order', { apikey: r.apiKey, product_code: 'FF70', user_id: '123456789', trx_id: trx }));
    const balance = await t.balance(r.id);
    expect(dup).toBe(expected.error(trx, 'FF70', '123456789', 'DUPLICATE_TRX_ID', balance));
    expectReadmeParse(dup, { status: 'FAILED', invoice: null, sn: null, balance, error: 'DUPLICATE_TRX_ID' });
  });

  it('the voucher code of a delivered voucher product, and nowhere else', async () => {
    const { row } = await order('v3', { product_code: 'GPV10', user_id: 'buyer@example.com' });
    const o = await t.settle(row.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(o.voucher).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
    const voucher = readmeRegexes().regexes.voucher;
    const line = await statusLineOf(o.invoice_number);
    expect(voucher.exec(line)?.[1]).toBe(o.voucher);
    // RefId still reads the supplier's reference, not the code.
    expect(parseWithReadme(line).sn).toBe(o.ref);
    const report = await eventually(() => {
      const found = sink.received.map((q) => new URL(q.url, sink.url).searchParams).find((p) => p.get('invoice_number') === o.invoice_number);
      if (!found) throw new Error('no report yet for the voucher order');
      return found;
    });
    expect(voucher.exec(report!.get('msg')!)?.[1]).toBe(o.voucher);
    expect(voucher.exec(report!.get('sn')!)?.[1]).toBe(o.voucher);
    // A game top-up has no voucher code to find.
    const game = await order('v3', { product_code: 'FF70', user_id: '123456789' });
    expect(voucher.exec(await statusLineOf((await t.settle(game.row.invoice_number)).invoice_number))).toBeNull();
  });

  it('the user line', async () => {
    const line = expectTextLine(await otomaxGet(t, '/v1/otomax/user', { apikey: r.apiKey }));
    const balance = await t.balance(r.id);
    expect(line).toBe(expected.user('Toko. Maju Jaya', 'ops@toko.example', 'Gold Member', balance));
    expect(parseUserLineWithReadme(line)).toEqual({ name: 'Toko. Maju Jaya', email: 'ops@toko.example', plan: 'Gold Member', balance });
    expectReadmeParse(line, { status: null, invoice: null, sn: null, balance: null, error: null });
  });

  it("every report's msg (one report per final status the suite's orders reached)", async () => {
    // At least this one, whatever ran before.
    const { row } = await order('v2', { product_code: 'FF70', user_id: '123456789' });
    await t.settle(row.invoice_number);
    const final = await t.kios.db.kysely.selectFrom('orders').select(['status']).where('reseller_id', '=', r.id).where('status', '!=', 'PENDING').execute();
    // SUCCESS -> REFUNDED reported twice.
    const events = final.length + final.filter((o) => o.status === 'REFUNDED').length;
    expect(events).toBeGreaterThan(0);
    const reports = await sink.waitFor(events);
    const statuses = new Set<string>();
    for (const req of reports) {
      const params = new URL(req.url, sink.url).searchParams;
      const o = await t.orderRow(params.get('invoice_number')!);
      const msg = params.get('msg')!;
      const parsed = parseWithReadme(msg);
      expect(parsed.status).toBe(params.get('status'));
      expect(parsed.invoice).toBe(o.invoice_number);
      expect(parsed.error).toBeNull();
      // The supplier's ref is set at SUCCESS and kept by REFUNDED; FAILED keeps kios's own.
      expect(parsed.sn).toBe(o.ref);
      expect(parsed.balance).not.toBeNull();
      // The line rebuilt from its parts and the parsed balance is the whole msg.
      expect(msg).toBe(expected.status({ ...o, status: params.get('status')!, response_note: params.get('sn')! }, parsed.balance!));
      statuses.add(parsed.status!);
    }
    expect(statuses).toEqual(new Set([...final.map((o) => o.status), ...(final.some((o) => o.status === 'REFUNDED') ? ['SUCCESS'] : [])]));
  });
});
