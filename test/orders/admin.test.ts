import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorError } from '../../src/resellers/service.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';

describe.each(DIALECTS)('operator order actions (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    // A long pending window keeps `...555` orders PENDING for the resolve tests.
    t = await TestKios.start(dialect, { SIMULATOR_PENDING_MS: '600000' });
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  it('refunds a SUCCESS order in full, once, with a signed REFUNDED callback', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const res = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', callback_url: `${sink.url}/refund` });
    const invoice = res.json.data.invoice_number as string;
    await t.settle(invoice);
    expect(await t.balance(r.id)).toBe(50_000 - 1511);

    const refunded = await t.kios.orderAdmin.refund(invoice, 'supplier reversed');
    expect(refunded.status).toBe('REFUNDED');
    expect(refunded.refunded_amount).toBe(1511);
    expect(refunded.response_note).toMatch(/ \. supplier reversed$/);
    expect(await t.balance(r.id)).toBe(50_000);
    await expect(t.kios.orderAdmin.refund(invoice, 'again')).rejects.toBeInstanceOf(OperatorError);
    expect(await t.balance(r.id)).toBe(50_000);

    const calls = await t.kios.db.kysely.selectFrom('jobs').select('dedupe_key').where('order_id', '=', refunded.id).where('kind', '=', 'callback').execute();
    expect(calls.map((c) => c.dedupe_key).sort()).toEqual([`callback:${refunded.id}:REFUNDED`, `callback:${refunded.id}:SUCCESS`]);
    const received = await sink.waitFor(2);
    const last = received.filter((x) => x.url === '/refund').map((x) => JSON.parse(x.body) as { status: string; balance: number }).find((b) => b.status === 'REFUNDED');
    expect(last?.balance).toBe(50_000);
    const raw = received.find((x) => (JSON.parse(x.body) as { status: string }).status === 'REFUNDED')!;
    expect(raw.headers['x-signature']).toBe(createHmac('sha256', r.apiKey).update(JSON.stringify(JSON.parse(raw.body))).digest('hex'));
    await t.expectLedgerConsistent();
  });

  it('resolves a PENDING order as failed (full refund) or as success (no money moves)', async () => {
    const r = await t.reseller({ balance: 30_000 });
    const a = await t.order(r.apiKey, { product_code: 'FF70', user_id: '11112555' });
    const b = await t.order(r.apiKey, { product_code: 'FF70', user_id: '22223555' });
    const price = a.json.data.amount as number;
    // Held at the supplier (pending, not just sent): only then may the operator settle it by hand.
    for (const inv of [a.json.data.invoice_number, b.json.data.invoice_number]) {
      const o = await t.orderRow(inv);
      await eventually(async () => expect((await supplierAttemptsOf(t.kios.db.kysely, o.id))[0]?.state).toBe('sent'));
    }

    const failed = await t.kios.orderAdmin.resolve(a.json.data.invoice_number, 'failed', 'supplier lost it');
    expect(failed.status).toBe('FAILED');
    const ok = await t.kios.orderAdmin.resolve(b.json.data.invoice_number, 'success', '');
    expect(ok.status).toBe('SUCCESS');
    expect(await t.balance(r.id)).toBe(30_000 - price);
    await expect(t.kios.orderAdmin.resolve(b.json.data.invoice_number, 'failed', '')).rejects.toThrow(/only a PENDING order/);
    await t.expectLedgerConsistent();
  });

  it('resolves a PENDING order as partly delivered: the refund given back once, nothing for a bad amount', async () => {
    const r = await t.reseller({ balance: 30_000 });
    const res = await t.order(r.apiKey, { product_code: 'FF70', user_id: '33334555' });
    const invoice = res.json.data.invoice_number as string;
    const price = res.json.data.amount as number;
    const o = await t.orderRow(invoice);
    await eventually(async () => expect((await supplierAttemptsOf(t.kios.db.kysely, o.id))[0]?.state).toBe('sent'));
    const before = await t.snapshot();
    for (const refund of [undefined, 0, price, price + 1]) {
      await expect(t.kios.orderAdmin.resolve(invoice, 'partial', '', refund)).rejects.toThrow(/between 1 and/);
    }
    expect(await t.snapshot()).toEqual(before);
    const partial = await t.kios.orderAdmin.resolve(invoice, 'partial', 'Terkirim 1 dari 2', 1_000);
    expect(partial).toMatchObject({ status: 'PARTIAL_SUCCESS', refunded_amount: 1_000 });
    expect(await t.balance(r.id)).toBe(30_000 - price + 1_000);
    await expect(t.kios.orderAdmin.resolve(invoice, 'partial', '', 1_000)).rejects.toThrow(/only a PENDING order/);
    expect(await t.balance(r.id)).toBe(30_000 - price + 1_000);
    await t.expectLedgerConsistent();
  });

  it('lists and shows orders with their history', async () => {
    const r = await t.reseller({ balance: 30_000, email: `lister-${dialect}@example.com` });
    const res = await t.order(r.apiKey, { product_code: 'FF70', user_id: '5550001', trx_id: 'list-1' });
    await t.settle(res.json.data.invoice_number);
    const { orders: mine, nextCursor } = await t.kios.orderAdmin.list({ resellerId: r.id });
    expect(mine.map((o) => o.trx_id)).toEqual(['list-1']);
    expect(nextCursor).toBeNull();
    const events = await t.kios.orderAdmin.events(mine[0]!.id);
    expect(events.map((e) => e.type)).toEqual(['created', 'supplier_purchase', 'status']);
    await expect(t.kios.orderAdmin.list({ status: 'BOGUS' })).rejects.toBeInstanceOf(OperatorError);
  });
});
