import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { createdRef, expectReadmeParse, expectTextLine, expected, newTrx, otomaxGet, rawGet } from './support.js';

/**
 * Destinations on the wire (RULINGS section 2): v1 takes user_id and server_id apart; v2/v3 take
 * the whole destination in user_id, split by explicit separators or by the category's rule
 * (demo catalog: Mobile Legends splits a concatenation, Genshin needs a server but has no rule,
 * Free Fire needs none). Each accepted order is stored with the split parts, debited once, and
 * answered with `{dest}` = `user|server` or `user`.
 */
describe.each(DIALECTS)('Otomax destinations (%s)', (dialect) => {
  let t: TestKios;
  let r: Reseller;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
    r = await t.reseller({ balance: 5_000_000 });
  });
  afterAll(async () => t?.close());

  async function expectCreated(version: string, params: Record<string, string>, want: { productCode: string; userId: string; serverId: string | null }) {
    const trx = newTrx();
    const before = await t.balance(r.id);
    const line = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params, product_code: want.productCode, trx_id: trx }));
    const order = await t.kios.orders.findByTrx(r.id, trx);
    expect(order, line).not.toBeNull();
    expect({ user: order!.user_id, server: order!.server_id }).toEqual({ user: want.userId, server: want.serverId });
    const balance = await t.balance(r.id);
    expect(balance).toBe(before - order!.amount);
    const dest = want.serverId ? `${want.userId}|${want.serverId}` : want.userId;
    const ref = createdRef(line, order!);
    expect(line).toBe(expected.created(trx, want.productCode, dest, ref, balance));
    expectReadmeParse(line, { status: 'PENDING', invoice: null, sn: ref, balance, error: null });
  }

  async function expectInvalid(version: string, params: Record<string, string>, productCode: string, dest: string) {
    const trx = newTrx();
    const before = await t.snapshot();
    const line = expectTextLine(await otomaxGet(t, `/${version}/otomax/order`, { apikey: r.apiKey, ...params, product_code: productCode, trx_id: trx }));
    const balance = await t.balance(r.id);
    expect(line).toBe(expected.error(trx, productCode, dest, 'INVALID_USER_ID', balance));
    expect(await t.snapshot()).toEqual(before);
    expectReadmeParse(line, { status: 'FAILED', invoice: null, sn: null, balance, error: 'INVALID_USER_ID' });
  }

  describe.each(['v2', 'v3'])('%s', (version) => {
    it.each([['123456789|1234'], ['123456789.1234'], ['123456789 1234'], ['123456789(1234)'], ['1234567891234']])(
      'Mobile Legends %j is user 123456789, zone 1234',
      async (dest) => {
        await expectCreated(version, { user_id: dest }, { productCode: 'S1_1187', userId: '123456789', serverId: '1234' });
      },
    );

    it.each([['123456789|os_asia'], ['123456789.os_asia'], ['123456789 os_asia'], ['123456789(os_asia)']])('Genshin %j: explicit separator', async (dest) => {
      await expectCreated(version, { user_id: dest }, { productCode: 'GI60', userId: '123456789', serverId: 'os_asia' });
    });

    it('Genshin without a separator (no split rule): INVALID_USER_ID, nothing charged', async () => {
      await expectInvalid(version, { user_id: '123456789os_asia' }, 'GI60', '123456789os_asia');
      await expectInvalid(version, { user_id: '1234567891234' }, 'GI60', '1234567891234');
    });

    it('Mobile Legends that the rule cannot split: INVALID_USER_ID, nothing charged', async () => {
      await expectInvalid(version, { user_id: '1234' }, 'S1_1187', '1234');
      await expectInvalid(version, { user_id: '123456789|' }, 'S1_1187', '123456789|');
      await expectInvalid(version, { user_id: 'player-one' }, 'S1_1187', 'player-one');
    });

    it.each([['123456789'], ['123456789|1234'], ['123456789(1234)'], ['123456789 1234']])('Free Fire %j: the user alone (no server)', async (dest) => {
      await expectCreated(version, { user_id: dest }, { productCode: 'FF70', userId: '123456789', serverId: null });
    });

    it('server_id is not a v2/v3 parameter: the destination alone decides', async () => {
      await expectCreated(version, { user_id: '1234567891234', server_id: '9999' }, { productCode: 'S1_1187', userId: '123456789', serverId: '1234' });
      await expectInvalid(version, { user_id: '123456789', server_id: 'os_asia' }, 'GI60', '123456789');
    });
  });

  it('a space may arrive as %20 or +', async () => {
    for (const space of ['%20', '+']) {
      const trx = newTrx();
      const line = expectTextLine(
        await rawGet(t, `/v3/otomax/order?apikey=${encodeURIComponent(r.apiKey)}&product_code=S1_1187&user_id=123456789${space}1234&trx_id=${trx}`),
      );
      const order = (await t.kios.orders.findByTrx(r.id, trx))!;
      expect([order.user_id, order.server_id]).toEqual(['123456789', '1234']);
      expect(line).toBe(expected.created(trx, 'S1_1187', '123456789|1234', createdRef(line, order), await t.balance(r.id)));
    }
  });

  it('v1: user_id and server_id apart; the server is required where the category needs one, ignored elsewhere', async () => {
    await expectCreated('v1', { user_id: '123456789', server_id: '1234' }, { productCode: 'S1_1187', userId: '123456789', serverId: '1234' });
    await expectCreated('v1', { user_id: '123456789', server_id: 'os_asia' }, { productCode: 'GI60', userId: '123456789', serverId: 'os_asia' });
    await expectCreated('v1', { user_id: '123456789', server_id: '1234' }, { productCode: 'FF70', userId: '123456789', serverId: null });
    await expectInvalid('v1', { user_id: '123456789' }, 'S1_1187', '123456789');
    // v1 does not split: the whole destination in user_id is not an account id.
    await expectInvalid('v1', { user_id: '1234567891234' }, 'S1_1187', '1234567891234');
    await expectInvalid('v1', { user_id: '123456789|1234' }, 'S1_1187', '123456789|1234');
  });

  it('the status line shows the stored parts as user(server)', async () => {
    const trx = newTrx();
    expectTextLine(await otomaxGet(t, '/v3/otomax/order', { apikey: r.apiKey, product_code: 'GI60', user_id: '123456789 os_asia', trx_id: trx }));
    const order = await t.settle((await t.kios.orders.findByTrx(r.id, trx))!.invoice_number);
    const line = expectTextLine(await otomaxGet(t, `/v1/otomax/status/${order.invoice_number}`, { apikey: r.apiKey }));
    expect(line).toBe(expected.status(order, await t.balance(r.id)));
    expect(line).toContain(' GI60.123456789(os_asia), status SUCCESS. ');
  });
});
