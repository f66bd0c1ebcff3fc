import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/db/schema.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Recording an attempt before its purchase goes out (`Attempts.start`): the attempts that jobs
 * start in one turn are one statement, and each must be decided as if it were alone.
 */
const ROUTE = { supplierId: 'simulator', sku: 'ML5', cost: 1400 };

describe.each(DIALECTS)('starting attempts together (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
    // The worker is stopped: these tests start the attempts themselves.
    await t.running.worker?.stop();
  });
  afterAll(async () => t?.close());

  const pendingOrders = async (n: number): Promise<Order[]> => {
    const r = await t.reseller({ balance: 1_000_000 });
    const invoices = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: `12345${i}`, server_id: '1234' });
        expect(res.status, res.text).toBe(201);
        return res.json.data.invoice_number as string;
      }),
    );
    return t.kios.db.kysely.selectFrom('orders').selectAll().where('invoice_number', 'in', invoices).execute();
  };
  const attemptsOf = (orders: Order[]) =>
    t.kios.db.kysely
      .selectFrom('order_attempts')
      .select(['order_id', 'n', 'state', 'supplier_id', 'sku', 'cost', 'ref'])
      .where(
        'order_id',
        'in',
        orders.map((o) => o.id),
      )
      .execute();

  it('many at once: every one recorded as sending, with its own route and reference', async () => {
    const orders = await pendingOrders(30);
    const started = await Promise.all(orders.map((o, i) => t.kios.attempts.start(o, 1, { ...ROUTE, cost: 1400 + i }, null)));
    expect(started.every((s) => s !== null && 'n' in s)).toBe(true);
    const rows = await attemptsOf(orders);
    expect(rows).toHaveLength(30);
    for (const [i, o] of orders.entries()) {
      const row = rows.find((r) => r.order_id === o.id);
      expect(row).toMatchObject({ n: 1, state: 'sending', supplier_id: 'simulator', sku: 'ML5', cost: 1400 + i, ref: `${o.id}-1` });
    }
  });

  it('the same attempt started twice in one batch, or again later: exactly one is recorded', async () => {
    const [order] = await pendingOrders(1);
    const twice = await Promise.all([t.kios.attempts.start(order!, 1, ROUTE, null), t.kios.attempts.start(order!, 1, ROUTE, null)]);
    expect(twice.filter((s) => s !== null)).toHaveLength(1);
    expect(await t.kios.attempts.start(order!, 1, ROUTE, null)).toBeNull();
    expect(await attemptsOf([order!])).toHaveLength(1);
    // The next number is free.
    expect(await t.kios.attempts.start(order!, 2, ROUTE, null)).toMatchObject({ n: 2, state: 'sending' });
  });

  it('an order no longer pending gets no attempt, while its batch-mates do', async () => {
    const [done, open] = await pendingOrders(2);
    await t.kios.db.kysely.updateTable('orders').set({ status: 'FAILED' }).where('id', '=', done!.id).execute();
    const [a, b] = await Promise.all([t.kios.attempts.start(done!, 1, ROUTE, null), t.kios.attempts.start(open!, 1, ROUTE, null)]);
    expect(a).toBeNull();
    expect(b).toMatchObject({ order_id: open!.id, n: 1 });
    expect((await attemptsOf([done!, open!])).map((r) => r.order_id)).toEqual([open!.id]);
  });
});
