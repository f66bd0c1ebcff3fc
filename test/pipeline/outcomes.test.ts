import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canTransition, ORDER_STATUSES } from '../../src/domain/order-status.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { eventsOf, jobsOf, ledgerOf, purchaseCalls, supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

/**
 * Every simulator outcome through the whole pipeline: HTTP order -> debit + job -> worker ->
 * simulator -> final status + refund + callback job. The simulator's user_id rules are in the
 * header of src/connectors/simulator/simulator.ts.
 */

const ML5 = { code: 'S1_1187', price: 1511 }; // platinum prices of the demo catalog
const ML86 = { code: 'S4_ML86', price: 18624 };
const GPV10 = { code: 'GPV10', price: 10250 };
const START = 1_000_000;

/** What the simulator reports as its own reference for an order's first attempt (`SIM` + 12 hex of sha256(attempt ref)). */
const simRef = (orderId: string) => `SIM${createHash('sha256').update(`${orderId}-1`).digest('hex').toUpperCase().slice(0, 12)}`;

describe.each(DIALECTS)('simulator outcomes through the pipeline (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    // `...555` orders stay pending at the supplier for this long: long enough to be seen pending
    // even on a loaded machine.
    t = await TestKios.start(dialect, { SIMULATOR_PENDING_MS: '1000' });
  });
  afterAll(async () => t?.close());

  const k = () => t.kios.db.kysely;

  async function place(r: Reseller, body: Record<string, unknown>) {
    const res = await t.order(r.apiKey, body);
    expect(res.status, res.text).toBe(201);
    return res.json.data as { invoice_number: string; response_note: string; status: string; amount: number; voucher: string | null };
  }

  /** The invariants every order must satisfy once final, whatever its outcome. */
  async function expectOrderInvariants(orderId: string) {
    // The job is marked done by the worker right after the transaction that made the order final.
    const fulfil = await eventually(async () => {
      const jobs = await jobsOf(k(), orderId, 'fulfil');
      if (jobs.some((j) => j.status === 'queued')) throw new Error('fulfil job still queued');
      return jobs;
    });
    expect(fulfil).toHaveLength(1);
    expect(fulfil[0]!.status).toBe('done');
    // Exactly one status change, out of PENDING, and never back to it.
    const changes = await eventsOf(k(), orderId, 'status');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.data!.from).toBe('PENDING');
    expect(changes[0]!.data!.to).not.toBe('PENDING');
    // One attempt (the demo products have one route), sent once, under the reference `<order id>-1`.
    const attempts = await supplierAttemptsOf(k(), orderId);
    expect(attempts.map((a) => a.ref)).toEqual([`${orderId}-1`]);
    expect(purchaseCalls(t.db.dataDir).get(`${orderId}-1`)).toBe(1);
  }

  const supplierRef = async (orderId: string) => (await supplierAttemptsOf(k(), orderId))[0]?.supplier_ref;

  it('default user id: SUCCESS, RefId becomes the supplier reference, no voucher for a game', async () => {
    const r = await t.reseller({ balance: START });
    const created = await place(r, { product_code: ML5.code, user_id: '123456789', server_id: '1234' });
    expect(created.status).toBe('PENDING');
    expect(created.response_note).toMatch(/^Player_6789 - 123456789\(1234\) \. RefId: ML_\d+_\d{4}$/);
    expect(await t.balance(r.id)).toBe(START - ML5.price);

    const o = await t.settle(created.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(await supplierRef(o.id)).toBe(simRef(o.id));
    expect(o.response_note).toBe(`Player_6789 - 123456789(1234) . RefId: ${simRef(o.id)}`);
    expect(o.refunded_amount).toBe(0);
    expect(o.voucher).toBeNull();

    const view = await t.request('GET', `/v1/status/${created.invoice_number}`, { key: r.apiKey });
    expect(view.json.data.status).toBe('SUCCESS');
    expect(view.json.data.response_note).toBe(o.response_note);
    expect(view.json.data.voucher).toBeNull();

    expect(await t.balance(r.id)).toBe(START - ML5.price);
    expect((await ledgerOf(k(), o.id)).map((e) => [e.kind, e.amount])).toEqual([['order_debit', -ML5.price]]);
    await expectOrderInvariants(o.id);
    await t.expectLedgerConsistent();
  });

  it('user id ending 999: FAILED with the full price returned and the reason in response_note', async () => {
    const r = await t.reseller({ balance: START });
    const created = await place(r, { product_code: ML5.code, user_id: '123456999', server_id: '1234' });
    const o = await t.settle(created.invoice_number);
    expect(o.status).toBe('FAILED');
    expect(o.refunded_amount).toBe(ML5.price);
    expect(o.response_note).toMatch(/RefId: ML_\d+_\d{4} \. Simulator: transaksi gagal$/);
    expect(await t.balance(r.id)).toBe(START);
    const legs = await ledgerOf(k(), o.id);
    expect(legs.map((e) => [e.kind, e.amount, e.balance_after])).toEqual([
      ['order_debit', -ML5.price, START - ML5.price],
      ['refund', ML5.price, START],
    ]);
    await expectOrderInvariants(o.id);
    await t.expectLedgerConsistent();
  });

  it('user id ending 777: PARTIAL_SUCCESS with half refunded, rounded in the reseller\'s favour', async () => {
    const r = await t.reseller({ balance: START });
    // 1511 / 2: the delivered half is charged rounded down (755), the undelivered 756 returned.
    const odd = await t.settle((await place(r, { product_code: ML5.code, user_id: '123456777', server_id: '1234' })).invoice_number);
    expect(odd.status).toBe('PARTIAL_SUCCESS');
    expect(odd.refunded_amount).toBe(756);
    expect(await supplierRef(odd.id)).toBe(simRef(odd.id));
    expect(odd.response_note).toBe(`Player_6777 - 123456777(1234) . RefId: ${simRef(odd.id)} . Terkirim sebagian 1/2`);
    expect(await t.balance(r.id)).toBe(START - 755);

    const even = await t.settle((await place(r, { product_code: ML86.code, user_id: '555000777', server_id: '2468' })).invoice_number);
    expect(even.status).toBe('PARTIAL_SUCCESS');
    expect(even.refunded_amount).toBe(9312);
    expect(await t.balance(r.id)).toBe(START - 755 - 9312);

    const legs = await ledgerOf(k(), even.id);
    expect(legs.map((e) => [e.kind, e.amount])).toEqual([
      ['order_debit', -ML86.price],
      ['partial_refund', 9312],
    ]);
    await expectOrderInvariants(odd.id);
    await expectOrderInvariants(even.id);
    await t.expectLedgerConsistent();
  });

  it('user id ending 555: stays PENDING while the supplier holds it, is re-checked, then SUCCESS', async () => {
    const r = await t.reseller({ balance: START });
    const created = await place(r, { product_code: ML5.code, user_id: '123456555', server_id: '1234' });
    // The supplier answered "pending": the order is sent and held, not final.
    const held = await t.orderRow(created.invoice_number);
    const attempt = await eventually(async () => {
      const [a] = await supplierAttemptsOf(k(), held.id);
      if (a?.state !== 'sent') throw new Error(`attempt ${a?.state}`);
      return a;
    });
    expect((await t.orderRow(created.invoice_number)).status).toBe('PENDING');
    expect(attempt.supplier_ref).toBe(simRef(held.id));
    const meanwhile = await t.request('GET', `/v1/status/${created.invoice_number}`, { key: r.apiKey });
    expect(meanwhile.json.data.status).toBe('PENDING');

    const o = await t.settle(created.invoice_number);
    expect(o.status).toBe('SUCCESS');
    const supplierEvents = (await eventsOf(k(), o.id)).filter((e) => e.type.startsWith('supplier_'));
    expect(supplierEvents[0]).toMatchObject({ type: 'supplier_purchase', data: { kind: 'pending' } });
    expect(supplierEvents.filter((e) => e.type === 'supplier_purchase')).toHaveLength(1);
    expect(supplierEvents.filter((e) => e.type === 'supplier_status').length).toBeGreaterThanOrEqual(1);
    expect(supplierEvents.at(-1)).toMatchObject({ type: 'supplier_status', data: { kind: 'success' } });
    expect(await t.balance(r.id)).toBe(START - ML5.price);
    await expectOrderInvariants(o.id);
    await t.expectLedgerConsistent();
  });

  it('user id ending 333: an ambiguous purchase is never re-sent; a status check finds SUCCESS', async () => {
    const r = await t.reseller({ balance: START });
    const created = await place(r, { product_code: ML5.code, user_id: '123456333', server_id: '1234' });
    const o = await t.settle(created.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(o.refunded_amount).toBe(0);
    expect(purchaseCalls(t.db.dataDir).get(`${o.id}-1`)).toBe(1);
    const supplierEvents = (await eventsOf(k(), o.id)).filter((e) => e.type.startsWith('supplier_'));
    expect(supplierEvents[0]).toMatchObject({ type: 'supplier_purchase', data: { kind: 'pending', ambiguous: true } });
    expect(supplierEvents.slice(1).every((e) => e.type === 'supplier_status')).toBe(true);
    expect(supplierEvents.at(-1)).toMatchObject({ type: 'supplier_status', data: { kind: 'success' } });
    expect(await t.balance(r.id)).toBe(START - ML5.price);
    await expectOrderInvariants(o.id);
    await t.expectLedgerConsistent();
  });

  it('a voucher product gets its voucher code when SUCCESS', async () => {
    const r = await t.reseller({ balance: START });
    const created = await place(r, { product_code: GPV10.code, user_id: '81234567890' });
    expect(created.voucher).toBeNull();
    expect(created.amount).toBe(GPV10.price);
    const o = await t.settle(created.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(o.voucher).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
    const view = await t.request('GET', `/v1/status/${created.invoice_number}`, { key: r.apiKey });
    expect(view.json.data.voucher).toBe(o.voucher);
    expect(view.json.data.user_input).toEqual({ user_id: '81234567890', server_id: null, nickname: null });
    await expectOrderInvariants(o.id);
    await t.expectLedgerConsistent();
  });

  it('a final order never changes again: no way back to PENDING, no second outcome, no second purchase', async () => {
    for (const s of ORDER_STATUSES) expect(canTransition(s, 'PENDING')).toBe(s === 'PAID');

    const r = await t.reseller({ balance: START });
    const failed = await t.settle((await place(r, { product_code: ML5.code, user_id: '222222999', server_id: '1234' })).invoice_number);
    const ok = await t.settle((await place(r, { product_code: ML5.code, user_id: '222222111', server_id: '1234' })).invoice_number);
    expect([failed.status, ok.status]).toEqual(['FAILED', 'SUCCESS']);
    const balance = await t.balance(r.id);

    // Late or conflicting outcomes are refused: a FAILED order cannot succeed or be refunded
    // again, a SUCCESS cannot turn FAILED or PARTIAL.
    const tr = t.kios.transitions;
    expect(await tr.finalise(failed.id, { status: 'SUCCESS', supplierRef: 'LATE', sn: null, voucher: null }, 'test')).toBeNull();
    expect(await tr.finalise(failed.id, { status: 'REFUNDED', reason: 'again' }, 'test')).toBeNull();
    expect(await tr.finalise(ok.id, { status: 'FAILED', reason: 'late failure' }, 'test')).toBeNull();
    expect(await tr.finalise(ok.id, { status: 'PARTIAL_SUCCESS', supplierRef: 'LATE', sn: null, refund: 100, reason: 'late' }, 'test')).toBeNull();

    // The fulfilment job run again (as after a crash) finds a final order and does nothing.
    for (const o of [failed, ok]) {
      const [job] = await jobsOf(k(), o.id, 'fulfil');
      expect(await t.kios.fulfilment.handle(job!)).toEqual({ kind: 'done' });
    }
    expect(await t.orderRow(failed.invoice_number)).toEqual(failed);
    expect(await t.orderRow(ok.invoice_number)).toEqual(ok);
    expect(await t.balance(r.id)).toBe(balance);
    await expectOrderInvariants(failed.id);
    await expectOrderInvariants(ok.id);
    await t.expectLedgerConsistent();
  });

  it('a mix of outcomes placed at once: each order ends as its user id says, one fulfil job and one purchase each', async () => {
    const r = await t.reseller({ balance: START });
    const plan: [string, string][] = [
      ['300000001', 'SUCCESS'],
      ['300000999', 'FAILED'],
      ['300000777', 'PARTIAL_SUCCESS'],
      ['300000555', 'SUCCESS'],
      ['300000333', 'SUCCESS'],
    ];
    const placed = await Promise.all(plan.flatMap(([user]) => [1, 2].map((n) => t.order(r.apiKey, { product_code: ML5.code, user_id: user, server_id: '1234', trx_id: `mix-${user}-${n}` }))));
    for (const p of placed) expect(p.status).toBe(201);
    let expected = START;
    for (const p of placed) {
      const o = await t.settle(p.json.data.invoice_number);
      expect(o.status).toBe(plan.find(([u]) => u === o.user_id)![1]);
      expected -= o.amount - o.refunded_amount;
      await expectOrderInvariants(o.id);
    }
    expect(await t.balance(r.id)).toBe(expected);
    expect(expected).toBe(START - 2 * (ML5.price * 3 + 755)); // 3 full charges + the delivered half of 777, twice
    await t.expectLedgerConsistent();
  });
});
