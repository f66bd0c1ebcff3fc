import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

describe.each(DIALECTS)('smoke (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => t?.close());

  it('places an order that the simulator fulfils', async () => {
    const r = await t.reseller({ balance: 10_000 });
    const res = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' });
    expect(res.status).toBe(201);
    const o = await t.settle(res.json.data.invoice_number);
    expect(o.status).toBe('SUCCESS');
    expect(await t.balance(r.id)).toBe(10_000 - 1511);
    await t.expectLedgerConsistent();
  });
});
