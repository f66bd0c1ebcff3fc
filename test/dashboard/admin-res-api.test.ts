import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DashboardClient, linkToken, memberSession, operatorSession, PASSWORD } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * /api/admin for resellers, deposits, catalog and suppliers over HTTP against a whole kios:
 * who may do what (staff refused on owner-only routes, nothing changed), money moved once, an
 * audit row with before and after for every change, and the ledger consistent after.
 */
vi.setConfig({ testTimeout: 60_000 });

describe.each(DIALECTS)('operator dashboard: resellers, deposits, catalog, suppliers (%s)', (dialect) => {
  let t: TestKios;
  let owner: Awaited<ReturnType<typeof operatorSession>>;
  let staff: Awaited<ReturnType<typeof operatorSession>>;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    owner = await operatorSession(t, 'owner');
    staff = await operatorSession(t, 'staff');
    await t.kios.deposits.banks.add({ code: 'bca', bank: 'BCA', number: '1234567890', holder: 'PT Kios' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const auditOf = (action: string, targetId: string) =>
    t.kios.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).where('target_id', '=', targetId).orderBy('at').execute();
  /** Everything an owner-only route could change. */
  const state = async () => {
    const k = t.kios.db.kysely;
    return {
      ...(await t.snapshot()),
      resellers: await k.selectFrom('resellers').select(['id', 'role_code', 'disabled_at', 'ip_whitelist', 'webhook_url']).orderBy('id').execute(),
      prices: await k.selectFrom('product_prices').selectAll().orderBy('product_id').orderBy('role_code').execute(),
      products: await k.selectFrom('products').select(['code', 'is_active']).orderBy('code').execute(),
      suppliers: await k.selectFrom('suppliers').select(['id', 'is_active']).orderBy('id').execute(),
      tokens: (await k.selectFrom('auth_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      audit: (await k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      banks: await t.kios.deposits.banks.list(),
    };
  };

  it('staff is refused every owner-only action with 403 FORBIDDEN and nothing changes', async () => {
    const r = await t.reseller({ balance: 5_000 });
    const before = await state();
    const forbidden: [string, string, unknown][] = [
      ['POST', '/api/admin/resellers', { name: 'X', email: 'x@example.com' }],
      ['POST', `/api/admin/resellers/${r.id}/tier`, { tier: 'gold' }],
      ['POST', `/api/admin/resellers/${r.id}/balance`, { kind: 'deposit', amount: 1000, reason: 'r' }],
      ['POST', `/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: -1000, reason: 'r' }],
      ['POST', `/api/admin/resellers/${r.id}/disable`, {}],
      ['POST', `/api/admin/resellers/${r.id}/enable`, {}],
      ['POST', `/api/admin/resellers/${r.id}/invite`, {}],
      ['POST', '/api/admin/deposits/banks', { code: 'bri', bank: 'BRI', number: '99999999', holder: 'X' }],
      ['POST', '/api/admin/deposits/banks/remove', { code: 'bca' }],
      ['POST', '/api/admin/catalog/products/FF70/price', { tier: 'gold', price: 1 }],
      ['POST', '/api/admin/catalog/products/FF70/disable', {}],
      ['POST', '/api/admin/catalog/products/FF70/enable', {}],
      ['POST', '/api/admin/catalog/import', { tiers: [], suppliers: [], categories: [] }],
      ['POST', '/api/admin/suppliers/simulator/disable', {}],
      ['POST', '/api/admin/suppliers/simulator/enable', {}],
      ['POST', '/api/admin/suppliers/simulator/sync', {}],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await staff.call(method, path, { body });
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    expect(await state()).toEqual(before);

    // What staff may do: look, and edit a whitelist and a webhook.
    for (const path of ['/api/admin/resellers', `/api/admin/resellers/${r.id}`, '/api/admin/deposits', '/api/admin/deposits/banks', '/api/admin/catalog/products', '/api/admin/catalog/routes', '/api/admin/catalog/rules', '/api/admin/catalog/categories', '/api/admin/catalog/tiers', '/api/admin/suppliers', '/api/admin/catalog/export']) {
      expect([path, (await staff.get(path)).status]).toEqual([path, 200]);
    }
    const wl = await staff.post(`/api/admin/resellers/${r.id}/whitelist`, { entry: '203.0.113.7' });
    expect(wl.json.reseller.whitelist).toEqual(['203.0.113.7']);
    const hook = await staff.call('PUT', `/api/admin/resellers/${r.id}/webhook`, { body: { url: 'https://93.184.215.14/cb' } });
    expect(hook.json.reseller.webhookUrl).toBe('https://93.184.215.14/cb');
    const [wlAudit] = await auditOf('reseller.whitelist.add', r.id);
    expect(wlAudit).toMatchObject({ actor_id: staff.id, actor_type: 'operator', before_json: '[]', after_json: '["203.0.113.7"]' });
    expect((await auditOf('reseller.webhook', r.id))[0]).toMatchObject({ before_json: null, after_json: '"https://93.184.215.14/cb"' });
    const removed = await staff.post(`/api/admin/resellers/${r.id}/whitelist/remove`, { entry: '203.0.113.7' });
    expect(removed.json.reseller.whitelist).toEqual([]);
  });

  it('a deposit ticket confirmed many times at once through the API credits once, audited once', async () => {
    const r = await t.reseller({ balance: 0 });
    const ticket = await t.kios.deposits.request(r.id, 50_000);
    const listed = await staff.get('/api/admin/deposits?status=pending');
    expect(listed.json.items.find((x: { id: string }) => x.id === ticket.id)).toMatchObject({ total: ticket.total, reseller: { id: r.id } });

    const clicks = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? staff : owner).post(`/api/admin/deposits/${ticket.id}/confirm`, {})));
    expect(clicks.filter((c) => c.status === 200)).toHaveLength(1);
    for (const c of clicks.filter((x) => x.status !== 200)) expect([c.status, c.json.error.code]).toEqual([409, 'CONFLICT']);
    expect(await t.balance(r.id)).toBe(ticket.total);
    const audit = await auditOf('deposit.confirm', ticket.id);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.before_json!)).toEqual({ status: 'pending', balance: 0 });
    expect(JSON.parse(audit[0]!.after_json!)).toMatchObject({ status: 'confirmed', balance: ticket.total });

    const other = await t.kios.deposits.request(r.id, 20_000);
    const cancelled = await staff.post(`/api/admin/deposits/${other.id}/cancel`, { reason: 'customer called' });
    expect(cancelled.json.ticket.status).toBe('cancelled');
    expect((await staff.post(`/api/admin/deposits/${other.id}/confirm`, {})).status).toBe(409);
    expect((await auditOf('deposit.cancel', other.id))[0]).toMatchObject({ reason: 'customer called' });
    expect((await staff.post('/api/admin/deposits/dep_nope/confirm', {})).status).toBe(404);
    expect(await t.balance(r.id)).toBe(ticket.total);
    await t.expectLedgerConsistent();
  });

  it('owner balance movements: a reason is required, a debit never overdraws, a reference is posted once, each audited', async () => {
    const r = await t.reseller({ balance: 10_000 });
    const before = await t.snapshot();
    expect((await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: -100 })).json.error.code).toBe('VALIDATION');
    expect((await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'deposit', amount: -100, reason: 'x' })).status).toBe(400);
    expect((await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: 0, reason: 'x' })).status).toBe(400);
    expect((await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: 1.5, reason: 'x' })).status).toBe(400);
    const over = await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: -10_001, reason: 'typo' });
    expect([over.status, over.json.error.code, over.json.error.message]).toEqual([409, 'CONFLICT', expect.stringMatching(/does not cover/)]);
    expect((await owner.post('/api/admin/resellers/rs_nobody/balance', { kind: 'deposit', amount: 1, reason: 'x' })).status).toBe(404);
    expect(await t.snapshot()).toEqual(before);

    // 30 concurrent debits of 1,000 against 10,000: ten pass.
    const debits = await Promise.all(Array.from({ length: 30 }, () => owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'adjust', amount: -1_000, reason: 'correction' })));
    expect(debits.filter((d) => d.status === 200)).toHaveLength(10);
    expect(debits.filter((d) => d.status === 409)).toHaveLength(20);
    expect(await t.balance(r.id)).toBe(0);
    expect(await auditOf('reseller.adjust', r.id)).toHaveLength(10);

    const dep = () => owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'deposit', amount: 25_000, reason: 'transfer BCA', reference: 'BCA-2024-1' });
    const both = await Promise.all([dep(), dep()]);
    expect(both.map((b) => b.status).sort()).toEqual([200, 409]);
    const ok = both.find((b) => b.status === 200)!;
    expect(ok.json.reseller.balance).toBe(25_000);
    expect(ok.json.reseller.recentLedger[0]).toMatchObject({ kind: 'deposit', amount: 25_000, reference: 'BCA-2024-1', note: 'transfer BCA' });
    const [a] = await auditOf('reseller.deposit', r.id);
    expect(a).toMatchObject({ actor_id: owner.id, reason: 'transfer BCA' });
    expect(JSON.parse(a!.before_json!)).toEqual({ balance: 0 });
    expect(JSON.parse(a!.after_json!)).toMatchObject({ balance: 25_000 });
    await t.expectLedgerConsistent();
  });

  it('owner creates a reseller (key once, set-up link), changes its tier, disables and enables it; each change audited', async () => {
    const created = await owner.post('/api/admin/resellers', { name: 'Toko Baru', email: 'Toko.Baru@Example.com', tier: 'gold' });
    expect(created.status).toBe(200);
    const { reseller, apiKey, setupUrl } = created.json;
    expect(reseller).toMatchObject({ email: 'toko.baru@example.com', tier: { code: 'gold' }, balance: 0, disabledAt: null });
    expect(reseller.apiKeyMasked).not.toContain(apiKey);
    expect((await t.request('GET', '/v1/user', { key: apiKey })).status).toBe(200);
    expect((await owner.post('/api/admin/resellers', { name: 'Dup', email: 'toko.baru@example.com' })).status).toBe(409);
    expect((await owner.post('/api/admin/resellers', { name: 'T', email: 'x@example.com', tier: 'diamond' })).status).toBe(400);
    expect((await auditOf('reseller.create', reseller.id))[0]).toMatchObject({ actor_id: owner.id });

    // The set-up link works: the reseller logs in to /member.
    const member = new DashboardClient(t, 'member');
    expect((await member.post('/api/member/auth/setup', { token: linkToken(setupUrl), password: PASSWORD })).status).toBe(200);
    expect((await member.get('/api/member/auth/session')).status).toBe(200);

    const tier = await owner.post(`/api/admin/resellers/${reseller.id}/tier`, { tier: 'platinum', reason: 'volume' });
    expect(tier.json.reseller.tier.code).toBe('platinum');
    const [ta] = await auditOf('reseller.tier', reseller.id);
    expect([JSON.parse(ta!.before_json!), JSON.parse(ta!.after_json!), ta!.reason]).toEqual([{ tier: 'gold' }, { tier: 'platinum' }, 'volume']);

    const disabled = await owner.post(`/api/admin/resellers/${reseller.id}/disable`, { reason: 'unpaid' });
    expect(disabled.json.reseller.disabledAt).toEqual(expect.any(Number));
    expect((await owner.post(`/api/admin/resellers/${reseller.id}/disable`, {})).status).toBe(409);
    expect((await t.request('GET', '/v1/user', { key: apiKey })).status).toBe(404);
    // Its dashboard session ended, and it cannot log in again.
    expect((await member.get('/api/member/auth/session')).status).toBe(401);
    expect((await new DashboardClient(t, 'member').post('/api/member/auth/login', { email: 'toko.baru@example.com', password: PASSWORD })).status).toBe(401);
    expect((await owner.get(`/api/admin/resellers?q=toko.baru`)).json.items[0]).toMatchObject({ id: reseller.id, disabled: true });

    await owner.post(`/api/admin/resellers/${reseller.id}/enable`, {});
    expect((await t.request('GET', '/v1/user', { key: apiKey })).status).toBe(200);
    expect((await new DashboardClient(t, 'member').post('/api/member/auth/login', { email: 'toko.baru@example.com', password: PASSWORD })).status).toBe(200);
    const [da] = await auditOf('reseller.disable', reseller.id);
    expect([JSON.parse(da!.before_json!), da!.reason]).toEqual([{ disabledAt: null }, 'unpaid']);
    expect(await auditOf('reseller.enable', reseller.id)).toHaveLength(1);

    const invite = await owner.post(`/api/admin/resellers/${reseller.id}/invite`, {});
    expect(invite.json.setupUrl).toMatch(/\/member\/setup#token=/);
    expect((await owner.get('/api/admin/resellers/rs_nobody')).status).toBe(404);
  });

  it('owner sets a price, switches a product off and on, exports and re-imports the catalog; bad files change nothing', async () => {
    const price = await owner.post('/api/admin/catalog/products/FF70/price', { tier: 'gold', price: 15_000 });
    expect(price.json.product.prices.gold).toBe(15_000);
    const [pa] = await auditOf('product.price', 'FF70');
    expect(JSON.parse(pa!.after_json!)).toEqual({ price: 15_000 });
    expect((await owner.post('/api/admin/catalog/products/NOPE/price', { tier: 'gold', price: 1 })).status).toBe(404);

    expect((await owner.post('/api/admin/catalog/products/FF70/disable', {})).json.product.active).toBe(false);
    const r = await t.reseller({ role: 'gold' });
    expect((await t.order(r.apiKey, { product_code: 'FF70', user_id: '12345678' })).json.message).toBe('PRODUCT_INACTIVE');
    expect((await owner.post('/api/admin/catalog/products/FF70/enable', {})).json.product.active).toBe(true);
    expect(await auditOf('product.disable', 'FF70')).toHaveLength(1);

    const page = await staff.get('/api/admin/catalog/products?q=ff70');
    expect(page.json.items.find((p: { code: string }) => p.code === 'FF70').prices.gold).toBe(15_000);

    const exported = await staff.get('/api/admin/catalog/export');
    expect(exported.headers.get('content-disposition')).toMatch(/attachment/);
    const before = await state();
    const bad = await owner.post('/api/admin/catalog/import', { ...exported.json, categories: [{ ...exported.json.categories[0], products: [{ code: 'X', name: 'X', prices: { nosuchtier: 1 }, routes: [] }] }] });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'VALIDATION']);
    expect(bad.json.error.issues.length).toBeGreaterThan(0);
    expect(await state()).toEqual(before);
    const ok = await owner.post('/api/admin/catalog/import', exported.json);
    expect(ok.status).toBe(200);
    expect(ok.json.products).toBeGreaterThan(0);
    expect((await staff.get('/api/admin/catalog/products?q=ff70')).json.items.find((p: { code: string }) => p.code === 'FF70').prices.gold).toBe(15_000);
  });

  it('suppliers: list with last balance, test, switch off and on, and a catalog sync with its progress', async () => {
    const list = await staff.get('/api/admin/suppliers');
    expect(list.json.items.map((s: { name: string }) => s.name)).toContain('simulator');
    const test = await staff.post('/api/admin/suppliers/simulator/test', {});
    expect(test.status).toBe(200);
    expect(typeof test.json.ok).toBe('boolean');
    expect((await staff.post('/api/admin/suppliers/nobody/balance', {})).status).toBe(404);

    expect((await owner.post('/api/admin/suppliers/simulator/disable', {})).json.supplier.active).toBe(false);
    expect((await owner.post('/api/admin/suppliers/simulator/enable', {})).json.supplier.active).toBe(true);
    const [sa] = await auditOf('supplier.disable', 'simulator');
    expect([JSON.parse(sa!.before_json!), JSON.parse(sa!.after_json!)]).toEqual([{ active: true }, { active: false }]);

    expect((await staff.get('/api/admin/suppliers/simulator/sync')).json.run).toBeNull();
    const started = await owner.post('/api/admin/suppliers/simulator/sync', { dryRun: true });
    expect(started.status).toBe(200);
    expect(started.json.run.supplier).toBe('simulator');
    await t.kios.syncRuns.settled();
    const done = (await staff.get('/api/admin/suppliers/simulator/sync')).json.run;
    expect(['done', 'failed']).toContain(done.state);
    if (done.state === 'done') expect(done.summary.dryRun).toBe(true);
    else expect(done.error).toMatch(/catalog/);
    expect(await auditOf('supplier.sync', 'simulator')).toHaveLength(1);
  });

  it('no session: 401; a write without the CSRF token: 403, nothing changed', async () => {
    const r = await t.reseller({ balance: 1_000 });
    const anon = new DashboardClient(t, 'admin');
    expect((await anon.get('/api/admin/resellers')).status).toBe(401);
    const before = await state();
    const noCsrf = await owner.post(`/api/admin/resellers/${r.id}/balance`, { kind: 'deposit', amount: 1000, reason: 'x' }, { csrf: false });
    expect([noCsrf.status, noCsrf.json.error.code]).toEqual([403, 'CSRF']);
    expect(await state()).toEqual(before);
    // A member session never opens /api/admin.
    const m = await memberSession(t, r.id);
    expect((await m.call('GET', '/api/admin/resellers', { headers: { cookie: `kios_admin=${m.cookie?.split('=')[1]}` } })).status).toBe(401);
  });
});
