import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { eventually } from '../helpers/wait.js';

/**
 * Money under concurrency: real HTTP requests racing each other. The conditional debit must make
 * overdraft impossible, and a trx_id must buy exactly once however many requests carry it.
 */

const PRODUCT = 'S1_1187';
const PRICE = 1511; // platinum price of S1_1187 in the demo catalog

describe.each(DIALECTS)('concurrent orders (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    // A little supplier latency on the account check, so that every request has read the full
    // balance at authentication before any of them debits it: the race is then decided by the
    // conditional debit alone, on SQLite as on PostgreSQL.
    t = await TestKios.start(dialect, { SIMULATOR_LATENCY_MS: '50' });
  });
  afterAll(async () => t?.close());

  it('200 concurrent orders against a balance for 100: exactly 100 accepted, balance ends at 0, never below', async () => {
    const r = await t.reseller({ balance: 100 * PRICE });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => t.order(r.apiKey, { product_code: PRODUCT, user_id: '123456789', server_id: '1234', trx_id: `race-${i}` })),
    );

    const accepted = results.filter((x) => x.status === 201);
    const refused = results.filter((x) => x.status === 400);
    expect(accepted).toHaveLength(100);
    expect(refused).toHaveLength(100);
    for (const x of refused) expect(x.json).toEqual({ statusCode: 400, message: 'INSUFFICIENT_BALANCE', error: 'Bad Request' });
    for (const x of accepted) {
      expect(x.json.statusCode).toBe(200);
      expect(x.json.data.amount).toBe(PRICE);
      expect(x.json.data.status).toBe('PENDING');
    }
    // 100 distinct invoices, one per accepted request.
    expect(new Set(accepted.map((x) => x.json.data.invoice_number)).size).toBe(100);

    const k = t.kios.db.kysely;
    const orders = await k.selectFrom('orders').select(['invoice_number', 'trx_id']).where('reseller_id', '=', r.id).execute();
    expect(orders).toHaveLength(100);
    expect(new Set(orders.map((o) => o.trx_id))).toEqual(new Set(accepted.map((x) => x.json.data.trx_id)));

    await eventually(async () => {
      const open = await k.selectFrom('orders').select('status').where('reseller_id', '=', r.id).where('status', '!=', 'SUCCESS').execute();
      if (open.length > 0) throw new Error(`${open.length} orders not SUCCESS yet (${open.map((o) => o.status).join(',')})`);
    }, 30_000);
    expect(await t.balance(r.id)).toBe(0);

    // Never negative at any point: every running balance the ledger ever recorded is >= 0.
    const entries = await k.selectFrom('ledger_entries').select(['amount', 'balance_after', 'kind']).where('reseller_id', '=', r.id).orderBy('seq').execute();
    expect(entries).toHaveLength(101); // opening deposit + 100 debits, no refunds
    expect(entries.filter((e) => e.kind === 'order_debit')).toHaveLength(100);
    expect(Math.min(...entries.map((e) => e.balance_after))).toBeGreaterThanOrEqual(0);
    expect(entries.at(-1)!.balance_after).toBe(0);
    await t.expectLedgerConsistent();
  });

  it('50 concurrent /v2/order with one trx_id: one invoice, one debit, every answer carries it', async () => {
    const r = await t.reseller({ balance: 1_000_000 });
    const body = { product_code: PRODUCT, user_id: '123456789', server_id: '1234', trx_id: 'same-trx-v2' };
    const results = await Promise.all(Array.from({ length: 50 }, () => t.order(r.apiKey, body, 'v2')));

    expect(results.filter((x) => x.status === 201)).toHaveLength(1);
    expect(results.filter((x) => x.status === 200)).toHaveLength(49);
    const invoices = new Set(results.map((x) => x.json?.data?.invoice_number));
    expect(invoices.size).toBe(1);
    const [invoice] = [...invoices];
    expect(invoice).toMatch(/^KIOS_ML_\d+_\d{4}$/);
    for (const x of results) expect(x.json.data.trx_id).toBe('same-trx-v2');

    const k = t.kios.db.kysely;
    const orders = await k.selectFrom('orders').selectAll().where('reseller_id', '=', r.id).execute();
    expect(orders).toHaveLength(1);
    expect(orders[0]!.invoice_number).toBe(invoice);
    const debits = await k.selectFrom('ledger_entries').selectAll().where('reseller_id', '=', r.id).where('kind', '=', 'order_debit').execute();
    expect(debits).toHaveLength(1);
    expect(debits[0]!.amount).toBe(-PRICE);
    expect(await t.balance(r.id)).toBe(1_000_000 - PRICE);

    // A later replay is still a status check of the same invoice, whatever the other fields say.
    const settled = await t.settle(invoice);
    const replay = await t.order(r.apiKey, { ...body, product_code: 'FF70', user_id: '987654321' }, 'v2');
    expect(replay.status).toBe(200);
    expect(replay.json.data.invoice_number).toBe(invoice);
    expect(replay.json.data.status).toBe(settled.status);
    expect(await t.balance(r.id)).toBe(1_000_000 - PRICE);
    await t.expectLedgerConsistent();
  });

  it('50 concurrent /v1/order with one trx_id: one invoice, 49 DUPLICATE_TRX_ID, one debit', async () => {
    const r = await t.reseller({ balance: 1_000_000 });
    const body = { product_code: PRODUCT, user_id: '123456789', server_id: '1234', trx_id: 'same-trx-v1' };
    const results = await Promise.all(Array.from({ length: 50 }, () => t.order(r.apiKey, body, 'v1')));

    const won = results.filter((x) => x.status === 201);
    const lost = results.filter((x) => x.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const x of lost) expect(x.json).toEqual({ statusCode: 409, message: 'DUPLICATE_TRX_ID', error: 'Conflict' });

    const k = t.kios.db.kysely;
    const orders = await k.selectFrom('orders').selectAll().where('reseller_id', '=', r.id).execute();
    expect(orders).toHaveLength(1);
    expect(orders[0]!.invoice_number).toBe(won[0]!.json.data.invoice_number);
    const debits = await k.selectFrom('ledger_entries').selectAll().where('reseller_id', '=', r.id).where('kind', '=', 'order_debit').execute();
    expect(debits).toHaveLength(1);
    expect(await t.balance(r.id)).toBe(1_000_000 - PRICE);
    await t.settle(won[0]!.json.data.invoice_number);
    await t.expectLedgerConsistent();
  });
});
