import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorError } from '../../src/resellers/service.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/** The operator's services behind the management pages, straight (the HTTP routes are tested apart). */
describe.each(DIALECTS)('operator reseller and catalog services (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a disabled reseller is refused on the JSON API, Otomax and the redeem API, and trades again once enabled', async () => {
    const r = await t.reseller({ balance: 100_000 });
    const merchantId = (await t.kios.resellers.get(r.id)).merchantId!;
    const redeem = () =>
      t.request('POST', `/merchant/${merchantId}/kiosgamer/project/detail`, {
        body: { projectid: 'R000000NONE000000', signature: createHash('md5').update(`${merchantId}${r.apiKey}`).digest('hex') },
      });
    const otomax = async () => (await fetch(`${t.url}/v1/otomax/user?apikey=${encodeURIComponent(r.apiKey)}`)).text();

    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(200);
    expect(await otomax()).toMatch(/balance 100000/);
    expect((await redeem()).json).toMatchObject({ status: 0, error_msg: 'Project ID tidak ditemukan' });

    const disabled = await t.kios.resellerAdmin.setDisabled(r.id, true);
    expect(disabled.disabledAt).not.toBeNull();
    const before = await t.snapshot();
    const user = await t.request('GET', '/v1/user', { key: r.apiKey });
    expect([user.status, user.json]).toEqual([404, { statusCode: 404, message: 'API_KEY_NOT_FOUND', error: 'Not Found' }]);
    const order = await t.order(r.apiKey, { product_code: 'FF70', user_id: '12345678' });
    expect([order.status, order.json.message]).toEqual([404, 'API_KEY_NOT_FOUND']);
    expect(await otomax()).toBe('API_KEY_NOT_FOUND');
    expect((await redeem()).json).toMatchObject({ status: 0, error_msg: 'Merchant not found' });
    expect(await t.snapshot()).toEqual(before);
    await expect(t.kios.resellerAdmin.setDisabled(r.id, true)).rejects.toMatchObject({ kind: 'conflict' });

    await t.kios.resellerAdmin.setDisabled(r.id, false);
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(200);
    const again = await t.order(r.apiKey, { product_code: 'FF70', user_id: '12345678' });
    expect(again.status).toBe(201);
    expect(await otomax()).toMatch(/balance \d+/);
    await t.settle(again.json.data.invoice_number);
    await t.expectLedgerConsistent();
  });

  it('adjustments credit and debit with a reason, and concurrent debits never overdraw', async () => {
    const r = await t.reseller({ balance: 10_000 });
    await expect(t.kios.resellers.adjust(r.id, -1, '  ')).rejects.toThrow(/reason/);
    await expect(t.kios.resellers.adjust(r.id, 0, 'zero')).rejects.toThrow(OperatorError);
    expect((await t.kios.resellers.adjust(r.id, 2_500, 'bonus')).balance).toBe(12_500);
    await expect(t.kios.resellers.adjust(r.id, -12_501, 'too much')).rejects.toMatchObject({ kind: 'conflict', message: expect.stringMatching(/does not cover/) });
    expect(await t.balance(r.id)).toBe(12_500);

    // 40 debits of 1,000 against 12,500: exactly 12 pass, whatever the interleaving.
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => t.kios.resellers.adjust(r.id, -1_000, `debit ${i}`)));
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(12);
    for (const x of results) if (x.status === 'rejected') expect(x.reason).toBeInstanceOf(OperatorError);
    expect(await t.balance(r.id)).toBe(500);
    const entries = await t.kios.db.kysely.selectFrom('ledger_entries').select(['kind', 'note']).where('reseller_id', '=', r.id).where('kind', '=', 'adjustment').execute();
    expect(entries).toHaveLength(13);
    expect(entries.every((e) => e.note && e.note.length > 0)).toBe(true);

    // A referenced movement is posted once, even when sent twice at once.
    const twice = await Promise.allSettled([1, 2].map(() => t.kios.resellers.deposit(r.id, 7_000, { reference: 'BCA-77', note: 'transfer' })));
    expect(twice.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect(await t.balance(r.id)).toBe(7_500);
    await t.expectLedgerConsistent();
  });

  it('lists resellers newest first in keyset pages, searchable by name, email or id', async () => {
    const tag = `srch${Date.now()}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await t.reseller({ name: `Toko ${tag} ${i}`, email: `${tag}${i}@example.com` }));
    const first = await t.kios.resellerAdmin.list({ q: tag.toUpperCase(), limit: 2 });
    expect(first.items.map((x) => x.id)).toEqual([made[4]!.id, made[3]!.id]);
    const second = await t.kios.resellerAdmin.list({ q: tag, limit: 2, cursor: first.nextCursor! });
    const third = await t.kios.resellerAdmin.list({ q: tag, limit: 2, cursor: second.nextCursor! });
    expect([...second.items, ...third.items].map((x) => x.id)).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
    expect(third.nextCursor).toBeNull();
    expect((await t.kios.resellerAdmin.list({ q: made[1]!.id })).items.map((x) => x.id)).toEqual([made[1]!.id]);
    expect((await t.kios.resellerAdmin.list({ q: `${tag}3@EXAMPLE` })).items.map((x) => x.id)).toEqual([made[3]!.id]);
    // LIKE wildcards in the search are plain characters.
    expect((await t.kios.resellerAdmin.list({ q: '%' })).items).toEqual([]);
    await expect(t.kios.resellerAdmin.list({ cursor: 'garbage' })).rejects.toBeInstanceOf(OperatorError);

    const detail = await t.kios.resellerAdmin.detail(made[0]!.id);
    expect(detail.apiKeyMasked).not.toContain(made[0]!.apiKey);
    expect(detail.apiKeyMasked).toMatch(/^kios_.{4}….{4}$/);
    expect(detail.recentLedger.map((e) => e.kind)).toEqual(['deposit']);
  });

  it('moves a reseller to another tier: its next order is priced there', async () => {
    const r = await t.reseller({ role: 'member' });
    await expect(t.kios.resellerAdmin.setTier(r.id, 'diamond')).rejects.toThrow(/unknown tier/);
    const seen: unknown[] = [];
    const s = await t.kios.resellerAdmin.setTier(r.id, 'platinum', async (_trx, before, after) => void seen.push(before, after));
    expect(s.roleCode).toBe('platinum');
    expect(seen).toEqual([{ tier: 'member' }, { tier: 'platinum' }]);
    const products = await t.request('GET', '/v1/products', { key: r.apiKey });
    const ff70 = (products.json.data as { product_code: string; product_price: number }[]).find((p) => p.product_code === 'FF70')!;
    const platinum = (await t.kios.catalog.listProducts('platinum', { productCode: 'FF70' }))[0]!.price;
    expect(ff70.product_price).toBe(platinum);
  });

  it('sets a product price per tier and switches a product off and on', async () => {
    const r = await t.reseller({ role: 'gold' });
    await t.kios.products.setPrice('FF70', 'gold', 12_345);
    const order = await t.order(r.apiKey, { product_code: 'FF70', user_id: '12345678' });
    expect(order.json.data.amount).toBe(12_345);
    await expect(t.kios.products.setPrice('FF70', 'gold', -1)).rejects.toBeInstanceOf(OperatorError);
    await expect(t.kios.products.setPrice('NOPE', 'gold', 1)).rejects.toMatchObject({ kind: 'not_found' });

    await t.kios.products.setActive('FF70', false);
    const refused = await t.order(r.apiKey, { product_code: 'FF70', user_id: '12345678' });
    expect([refused.status, refused.json.message]).toEqual([400, 'PRODUCT_INACTIVE']);
    await t.kios.products.setActive('FF70', true);

    const page = await t.kios.products.list({ q: 'ff7', limit: 500 });
    const row = page.items.find((p) => p.code === 'FF70')!;
    expect(row).toMatchObject({ active: true, prices: expect.objectContaining({ gold: 12_345 }) });
    await t.settle(order.json.data.invoice_number);
    await t.expectLedgerConsistent();
  });
});
