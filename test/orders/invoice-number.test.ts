import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

// All orders share one second (a fixed clock), and 80% of that second's invoice numbers for the
// category are already taken: every order must still get a free number, none may fail.
const FIXED_NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SECOND = Math.floor(FIXED_NOW / 1000);

describe.each(DIALECTS)('invoice number collisions (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, { clock: () => FIXED_NOW });
  });
  afterAll(async () => t?.close());

  it('never surface: a taken number is skipped inside the same transaction', async () => {
    const r = await t.reseller({ balance: 1_000_000 });
    const ff = await t.kios.catalog.findForOrder('FF70', 'platinum');
    const filler = Array.from({ length: 10_000 }, (_, i) => i)
      .filter((i) => i % 5 !== 0)
      .map((i) => ({
        id: `filler_${i}`,
        reseller_id: r.id,
        invoice_number: `KIOS_FF_${SECOND}_${String(i).padStart(4, '0')}`,
        trx_id: null,
        channel: 'api' as const,
        product_id: ff!.id,
        product_code: 'FF70',
        product_name: 'filler',
        category_code: 'FF',
        category_title: 'Free Fire',
        category_subtitle: null,
        category_type: 'game',
        user_id: '1',
        server_id: null,
        nickname: null,
        price: 1,
        amount: 1,
        status: 'SUCCESS',
        ref: 'x',
        response_note: 'x',
        sn: null,
        voucher: null,
        failure_reason: null,
        refunded_amount: 0,
        callback_url: null,
        created_at: FIXED_NOW,
        updated_at: FIXED_NOW,
        completed_at: null,
      }));
    for (let i = 0; i < filler.length; i += 250) await t.kios.db.kysely.insertInto('orders').values(filler.slice(i, i + 250)).execute();

    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => t.order(r.apiKey, { product_code: 'FF70', user_id: `12345${i}`, trx_id: `inv-${i}` })));
    expect(results.map((x) => x.status)).toEqual(Array(30).fill(201));
    const numbers = results.map((x) => x.json.data.invoice_number as string);
    expect(new Set(numbers).size).toBe(30);
    for (const n of numbers) {
      expect(n).toMatch(new RegExp(`^KIOS_FF_${SECOND}_\\d{4}$`));
      expect(Number(n.slice(-4)) % 5).toBe(0); // only the free fifth remained
    }
    await sql`delete from orders where id like 'filler_%'`.execute(t.kios.db.kysely);
    await t.expectLedgerConsistent();
  });
});

// A clock that moves a whole second on every reading: whatever reads it during intake, the
// invoice number, the placeholder RefId and created_at must still name one and the same second.
describe.each(DIALECTS)('invoice number, RefId and created_at agree (%s)', (dialect) => {
  let t: TestKios;
  let now = FIXED_NOW;
  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, { clock: () => (now += 1000) });
  });
  afterAll(async () => t?.close());

  it('name the moment the order was taken', async () => {
    const r = await t.reseller({ balance: 100_000 });
    for (let i = 0; i < 5; i++) {
      const res = await t.order(r.apiKey, { product_code: 'FF70', user_id: `4242${i}` });
      expect(res.status).toBe(201);
      const o = await t.orderRow(res.json.data.invoice_number);
      const second = String(Math.floor(o.created_at / 1000));
      expect(o.invoice_number.split('_')[2]).toBe(second);
      // The RefId placeholder as the order answer gave it (the supplier's reference replaces it later).
      expect(/RefId: FF_(\d+)_\d{4}$/.exec(res.json.data.response_note)?.[1]).toBe(second);
      expect(res.json.data.created_at).toBe(new Date(o.created_at).toISOString());
    }
  });
});
