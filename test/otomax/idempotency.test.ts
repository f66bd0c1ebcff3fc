import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseNote } from '../../src/domain/response-note.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { createdRef, expectReadmeParse, expectTextLine, expected, newTrx, otomaxGet, parseWithReadme } from './support.js';

/**
 * One trx_id, one order, one debit, on every channel: v1/v2 refuse a reused trx_id with an error
 * line; v3 (like JSON v2) treats it as a status check and answers that invoice's status line.
 */
describe.each(DIALECTS)('Otomax idempotency (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => t?.close());

  async function ordersWithTrx(resellerId: string, trx: string): Promise<number> {
    const row = await t.kios.db.kysely
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('reseller_id', '=', resellerId)
      .where('trx_id', '=', trx)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function debits(resellerId: string): Promise<number> {
    const row = await t.kios.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('reseller_id', '=', resellerId)
      .where('amount', '<', 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function place(r: Reseller, version: string, params: Record<string, string>) {
    return expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params }));
  }

  it.each([
    ['v1', { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' }],
    ['v2', { product_code: 'S1_1187', user_id: '1234567891234' }],
  ] as const)('%s: a reused trx_id is a DUPLICATE_TRX_ID error line, nothing charged again', async (version, params) => {
    const r = await t.reseller({ balance: 10_000 });
    const trx = newTrx();
    const first = await place(r, version, { ...params, trx_id: trx });
    const order = (await t.kios.orders.findByTrx(r.id, trx))!;
    expect(first).toBe(expected.created(trx, 'S1_1187', '123456789|1234', createdRef(first, order), 10_000 - 1511));

    const again = await place(r, version, { ...params, trx_id: trx });
    expect(again).toBe(expected.error(trx, 'S1_1187', '123456789|1234', 'DUPLICATE_TRX_ID', 10_000 - 1511));
    expectReadmeParse(again, { status: 'FAILED', invoice: null, sn: null, balance: 10_000 - 1511, error: 'DUPLICATE_TRX_ID' });
    expect(await ordersWithTrx(r.id, trx)).toBe(1);
    expect(await debits(r.id)).toBe(1);
    expect(await t.balance(r.id)).toBe(10_000 - 1511);
  });

  it('v3: a reused trx_id is a status check, whatever the other fields say', async () => {
    const r = await t.reseller({ balance: 10_000 });
    const trx = newTrx();
    const first = await place(r, 'v3', { product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx });
    const created = (await t.kios.orders.findByTrx(r.id, trx))!;
    expect(first).toBe(expected.created(trx, 'S1_1187', '123456789|1234', createdRef(first, created), 8489));
    const order = await t.settle(created.invoice_number);
    expect(order.status).toBe('SUCCESS');
    const statusLine = expected.status(order, 8489);
    expect(expectTextLine(await otomaxGet(t, `/v1/otomax/status/${order.invoice_number}`, { apikey: r.apiKey }))).toBe(statusLine);

    const replays: Record<string, string>[] = [
      { product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx },
      { product_code: 'S4_ML257', user_id: '999999999|9999', trx_id: trx },
      { product_code: 'FF70', user_id: '0123', trx_id: trx },
      { product_code: 'DANA10', user_id: '0812', trx_id: trx },
      // Fields that no longer validate: still the status check, never a FAILED line.
      { user_id: '1234567891234', trx_id: trx },
      { product_code: 'S1_1187', trx_id: trx },
      { product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx, callback_url: 'ftp://nope' },
    ];
    for (const replay of replays) {
      const line = await place(r, 'v3', replay);
      expect(line, JSON.stringify(replay)).toBe(statusLine);
      expectReadmeParse(line, { status: 'SUCCESS', invoice: order.invoice_number, sn: order.ref, balance: 8489, error: null });
    }
    expect(await ordersWithTrx(r.id, trx)).toBe(1);
    expect(await debits(r.id)).toBe(1);
    expect(await t.balance(r.id)).toBe(8489);
  });

  it('one trx_id space per reseller, shared with the JSON API', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const other = await t.reseller({ balance: 100_000 });

    // JSON first, then Otomax: v1 refuses, v3 answers the JSON order's status line.
    const trx = newTrx();
    const json = await t.order(r.apiKey, { product_code: 'FF70', user_id: '123456789', trx_id: trx });
    expect(json.status).toBe(201);
    const jsonOrder = await t.settle(json.json.data.invoice_number);
    const balance = await t.balance(r.id);
    expect(await place(r, 'v1', { product_code: 'FF70', user_id: '123456789', trx_id: trx })).toBe(expected.error(trx, 'FF70', '123456789', 'DUPLICATE_TRX_ID', balance));
    expect(await place(r, 'v3', { product_code: 'FF70', user_id: '123456789', trx_id: trx })).toBe(expected.status(jsonOrder, balance));

    // Otomax first, then JSON: /v1/order refuses (409), /v2/order returns the same invoice.
    const trx2 = newTrx();
    await place(r, 'v3', { product_code: 'FF70', user_id: '123456789', trx_id: trx2 });
    const otomaxOrder = (await t.kios.orders.findByTrx(r.id, trx2))!;
    expect(otomaxOrder.channel).toBe('otomax');
    expect((await t.order(r.apiKey, { product_code: 'FF70', user_id: '123456789', trx_id: trx2 })).json).toMatchObject({ message: 'DUPLICATE_TRX_ID' });
    const v2 = await t.order(r.apiKey, { product_code: 'FF70', user_id: '123456789', trx_id: trx2 }, 'v2');
    expect(v2.status).toBe(200);
    expect(v2.json.data.invoice_number).toBe(otomaxOrder.invoice_number);

    // Another reseller may use the same trx_id: its own order.
    const line = await place(other, 'v1', { product_code: 'FF70', user_id: '123456789', trx_id: trx2 });
    const theirs = (await t.kios.orders.findByTrx(other.id, trx2))!;
    expect(theirs.invoice_number).not.toBe(otomaxOrder.invoice_number);
    expect(line).toBe(expected.created(trx2, 'FF70', '123456789', createdRef(line, theirs), 100_000 - theirs.amount));
    await t.expectLedgerConsistent();
  });

  it('v3 repeated 20 times concurrently: one invoice, one debit, each reply the created line or its status line', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const trx = newTrx();
    const params = { product_code: 'S1_1187', user_id: '1234567891234', trx_id: trx };
    const replies = await Promise.all(Array.from({ length: 20 }, () => place(r, 'v3', params)));

    expect(await ordersWithTrx(r.id, trx)).toBe(1);
    expect(await debits(r.id)).toBe(1);
    const after = 100_000 - 1511;
    expect(await t.balance(r.id)).toBe(after);

    const created = (await t.kios.orders.findByTrx(r.id, trx))!;
    const final = await t.settle(created.invoice_number);
    const createdReplies = replies.filter((x) => x.includes(', status PENDING. RefId : '));
    expect(createdReplies).toHaveLength(1);
    const ref = createdRef(createdReplies[0]!, created);
    const createdLine = expected.created(trx, 'S1_1187', '123456789|1234', ref, after);
    // The order as it was while PENDING (kios's own RefId) and as it ended (the supplier's).
    const pending = {
      ...created,
      status: 'PENDING',
      response_note: responseNote({ nickname: created.nickname, userId: created.user_id, serverId: created.server_id, ref }),
    };
    const allowed = new Set([createdLine, expected.status(pending, after), expected.status(final, after)]);
    for (const reply of replies) expect(allowed, reply).toContain(reply);
    expect(replies.filter((x) => x === createdLine)).toHaveLength(1);
    for (const reply of replies) {
      const parsed = parseWithReadme(reply);
      expect(parsed.balance).toBe(after);
      expect(parsed.invoice === null || parsed.invoice === created.invoice_number).toBe(true);
    }
    await t.expectLedgerConsistent();
  });

  it('v1 repeated 20 times concurrently: one created line, 19 DUPLICATE_TRX_ID lines, one debit', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const trx = newTrx();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => place(r, 'v1', { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: trx })),
    );
    const after = 100_000 - 1511;
    const order = (await t.kios.orders.findByTrx(r.id, trx))!;
    const createdReplies = replies.filter((x) => x.includes(', status PENDING. RefId : '));
    expect(createdReplies).toHaveLength(1);
    const createdLine = expected.created(trx, 'S1_1187', '123456789|1234', createdRef(createdReplies[0]!, order), after);
    const duplicate = expected.error(trx, 'S1_1187', '123456789|1234', 'DUPLICATE_TRX_ID', after);
    expect(replies.filter((x) => x === createdLine)).toHaveLength(1);
    expect(replies.filter((x) => x === duplicate)).toHaveLength(19);
    expect(await ordersWithTrx(r.id, trx)).toBe(1);
    expect(await debits(r.id)).toBe(1);
    expect(await t.balance(r.id)).toBe(after);
    await t.expectLedgerConsistent();
  });
});
