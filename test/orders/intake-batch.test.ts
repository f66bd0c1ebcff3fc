import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Batched intake (src/orders/intake-batch.ts): concurrent orders share one transaction, and a
 * batch must decide each of them exactly as one transaction per order would.
 */
const PRODUCT = 'S1_1187';
const PRICE = 1511; // platinum price of S1_1187 in the demo catalog

describe.each(DIALECTS)('batched intake (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect, { WORKER_CONCURRENCY: '1', WORKER_POLL_MS: '60000' });
    // Orders stay PENDING: the worker is stopped, so only what intake wrote is looked at.
    await t.running.worker?.stop();
  });
  afterAll(async () => t?.close());

  const count = async (table: 'orders' | 'jobs' | 'order_events' | 'ledger_entries', resellerIds: string[]) => {
    const k = t.kios.db.kysely;
    if (table === 'ledger_entries') {
      const r = await k.selectFrom('ledger_entries').select((e) => e.fn.countAll<number>().as('n')).where('reseller_id', 'in', resellerIds).where('kind', '=', 'order_debit').executeTakeFirstOrThrow();
      return Number(r.n);
    }
    const ids = (await k.selectFrom('orders').select('id').where('reseller_id', 'in', resellerIds).execute()).map((o) => o.id);
    if (table === 'orders') return ids.length;
    if (ids.length === 0) return 0;
    const r = await k.selectFrom(table).select((e) => e.fn.countAll<number>().as('n')).where('order_id', 'in', ids).executeTakeFirstOrThrow();
    return Number(r.n);
  };

  it('a burst from many resellers, some short of balance, some repeating a trx_id: each decided as if alone', async () => {
    // Three resellers: one covers all its orders, one covers 7 of 20, one covers none.
    const rich = await t.reseller({ balance: 100 * PRICE });
    const short = await t.reseller({ balance: 7 * PRICE + PRICE - 1 });
    const broke = await t.reseller({ balance: PRICE - 1 });
    const sends = [
      ...Array.from({ length: 20 }, (_, i) => ({ r: rich, trx: `rich-${i % 10}` })), // each trx_id twice
      ...Array.from({ length: 20 }, (_, i) => ({ r: short, trx: `short-${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ r: broke, trx: `broke-${i}` })),
    ];
    const results = await Promise.all(sends.map((s) => t.order(s.r.apiKey, { product_code: PRODUCT, user_id: '123456789', server_id: '1234', trx_id: s.trx }, 'v2')));

    // rich: 10 trx_ids, each answered with the same single invoice by both of its requests
    // (201 to the one that placed it, 200 with the existing order to the other).
    const richAnswers = results.slice(0, 20);
    for (let i = 0; i < 10; i++) expect([richAnswers[i]!.status, richAnswers[i + 10]!.status].sort()).toEqual([200, 201]);
    for (let i = 0; i < 10; i++) expect(richAnswers[i]!.json.data.invoice_number).toBe(richAnswers[i + 10]!.json.data.invoice_number);
    expect(new Set(richAnswers.map((x) => x.json.data.invoice_number)).size).toBe(10);
    // short: exactly 7 accepted, the rest refused for balance.
    const shortAnswers = results.slice(20, 40);
    expect(shortAnswers.filter((x) => x.status === 201)).toHaveLength(7);
    for (const x of shortAnswers.filter((y) => y.status !== 201)) expect(x.json.message).toBe('INSUFFICIENT_BALANCE');
    // broke: nothing.
    for (const x of results.slice(40)) expect(x.json.message).toBe('INSUFFICIENT_BALANCE');

    expect(await t.balance(rich.id)).toBe(90 * PRICE);
    expect(await t.balance(short.id)).toBe(PRICE - 1);
    expect(await t.balance(broke.id)).toBe(PRICE - 1);
    // What a refused order wrote is gone: an order, a job, an event and a debit for each accepted one only.
    const ids = [rich.id, short.id, broke.id];
    expect(await count('orders', ids)).toBe(17);
    expect(await count('jobs', ids)).toBe(17);
    expect(await count('order_events', ids)).toBe(17);
    expect(await count('ledger_entries', ids)).toBe(17);
    // Each debit recorded the balance right after it: 7 steps of one price down to what is left.
    const ledgerBalances = (await t.kios.db.kysely.selectFrom('ledger_entries').select('balance_after').where('reseller_id', '=', short.id).where('kind', '=', 'order_debit').orderBy('seq').execute()).map((e) => e.balance_after);
    expect(ledgerBalances).toEqual(Array.from({ length: 7 }, (_, j) => PRICE - 1 + (6 - j) * PRICE));
    await t.expectLedgerConsistent();
  });

  it('an order the database refuses for a reason of its own fails alone; the orders batched with it are placed', async () => {
    const k = t.kios.db.kysely;
    if (dialect === 'sqlite') {
      await sql.raw(`create trigger kios_test_poison before insert on orders when new.user_id = '666666666' begin select raise(abort, 'poisoned order'); end`).execute(k);
    } else {
      await sql.raw(`create or replace function kios_test_poison() returns trigger language plpgsql as $$ begin if new.user_id = '666666666' then raise exception 'poisoned order'; end if; return new; end $$`).execute(k);
      await sql.raw(`create trigger kios_test_poison before insert on orders for each row execute function kios_test_poison()`).execute(k);
    }
    try {
      const r = await t.reseller({ balance: 100 * PRICE });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => t.order(r.apiKey, { product_code: PRODUCT, user_id: i === 13 ? '666666666' : '123456789', server_id: '1234', trx_id: `p-${i}` }, 'v2')),
      );
      results.forEach((x, i) => {
        if (i === 13) {
          expect(x.status).toBe(500);
          expect(x.text).not.toContain('poisoned'); // no internals leak
        } else expect(x.status, `order ${i}: ${x.text}`).toBe(201);
      });
      expect(await t.balance(r.id)).toBe(71 * PRICE);
      expect(await count('orders', [r.id])).toBe(29);
      expect(await count('jobs', [r.id])).toBe(29);
      await t.expectLedgerConsistent();
    } finally {
      if (dialect === 'sqlite') await sql.raw('drop trigger kios_test_poison').execute(k);
      else await sql.raw('drop trigger kios_test_poison on orders').execute(k);
    }
  });
});
