import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorSession } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * The owner's catalog management in /api/admin, through the services the CLI uses: adding a
 * supplier account (its credentials never echoed nor audited), routes with their cost, markup
 * rules with a reprice. Staff are refused each with nothing changed; bad input changes nothing.
 */
vi.setConfig({ testTimeout: 60_000 });

const SECRET = 'sekrit-api-key-0123456789-abcdef';

describe.each(DIALECTS)('operator dashboard: suppliers, routes and markup rules (%s)', (dialect) => {
  let t: TestKios;
  let owner: Awaited<ReturnType<typeof operatorSession>>;
  let staff: Awaited<ReturnType<typeof operatorSession>>;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    owner = await operatorSession(t, 'owner');
    staff = await operatorSession(t, 'staff');
  });
  afterAll(async () => {
    await t?.close();
  });

  const state = async () => {
    const k = t.kios.db.kysely;
    return {
      suppliers: await k.selectFrom('suppliers').select(['id', 'kind', 'name', 'is_active', 'config_enc']).orderBy('id').execute(),
      routes: await k.selectFrom('product_routes').select(['id', 'product_id', 'supplier_id', 'sku', 'cost', 'priority', 'is_active']).orderBy('id').execute(),
      rules: await k.selectFrom('price_rules').selectAll().orderBy('id').execute(),
      prices: await k.selectFrom('product_prices').selectAll().orderBy('product_id').orderBy('role_code').execute(),
      audit: (await k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    };
  };
  const audits = (action: string) => t.kios.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('at').execute();
  const gold = async (code: string) => (await staff.get(`/api/admin/catalog/products?q=${code}`)).json.items.find((p: { code: string }) => p.code === code).prices.gold as number;

  it('lists the kinds with their settings, secrets marked', async () => {
    const kinds = (await staff.get('/api/admin/suppliers/kinds')).json.items;
    const kiosgame = kinds.find((x: { kind: string }) => x.kind === 'kiosgame');
    expect(kiosgame.fields).toContainEqual({ key: 'api_key', type: 'text', required: true, secret: true, default: null, options: null });
    expect(kiosgame.fields.find((f: { key: string }) => f.key === 'base_url')).toMatchObject({ required: false, secret: false });
    expect(kinds.find((x: { kind: string }) => x.kind === 'digiflazz').fields.find((f: { key: string }) => f.key === 'max_price')).toMatchObject({ type: 'choice', options: ['price', 'cost', 'none'] });
  });

  it('staff are refused every management action, and bad input is refused; nothing changes', async () => {
    const rule = (await owner.post('/api/admin/catalog/rules', { tier: 'member', product: 'S4_ML257', percent: 1 })).json.rule;
    const before = await state();
    const refused: [string, unknown][] = [
      ['/api/admin/suppliers', { kind: 'simulator', name: 'sim-staff', config: {} }],
      ['/api/admin/catalog/routes', { product: 'S4_ML172', supplier: 'simulator', sku: 'X', cost: 1 }],
      ['/api/admin/catalog/routes/remove', { product: 'S4_ML172', supplier: 'simulator' }],
      ['/api/admin/catalog/rules', { tier: 'gold', percent: 5, apply: true }],
      [`/api/admin/catalog/rules/${rule.id}/remove`, { apply: true }],
    ];
    for (const [path, body] of refused) {
      const res = await staff.post(path, body);
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    const bad: [string, unknown, number, string][] = [
      ['/api/admin/suppliers', { kind: 'nosuchkind', name: 'x', config: {} }, 400, 'VALIDATION'],
      ['/api/admin/suppliers', { kind: 'kiosgame', name: 'x', config: { api_key: SECRET, nope: 1 } }, 400, 'VALIDATION'],
      ['/api/admin/suppliers', { kind: 'kiosgame', name: 'x', config: {} }, 400, 'VALIDATION'],
      ['/api/admin/suppliers', { kind: 'simulator', name: 'Bad Name', config: {} }, 400, 'VALIDATION'],
      ['/api/admin/suppliers', { kind: 'simulator', name: 'simulator', config: {} }, 400, 'VALIDATION'],
      ['/api/admin/suppliers', { kind: 'simulator', name: 'x', config: 'nope' }, 400, 'VALIDATION'],
      ['/api/admin/catalog/routes', { product: 'NOPE', supplier: 'simulator', sku: 'X', cost: 1 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/routes', { product: 'S4_ML172', supplier: 'nobody', sku: 'X', cost: 1 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/routes', { product: 'S4_ML172', supplier: 'simulator', sku: 'X', cost: -1 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/routes', { product: 'S4_ML172', supplier: 'simulator', sku: 'has space', cost: 1 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/routes/remove', { product: 'S4_ML172', supplier: 'nobody' }, 400, 'VALIDATION'],
      ['/api/admin/catalog/rules', { tier: 'nosuchtier', percent: 5 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/rules', { tier: 'gold', percent: 1.234 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/rules', { tier: 'gold', category: 'ML', product: 'S4_ML172' }, 400, 'VALIDATION'],
      ['/api/admin/catalog/rules', { tier: 'gold', round: 0 }, 400, 'VALIDATION'],
      ['/api/admin/catalog/rules/pr_nosuchrule/remove', {}, 404, 'NOT_FOUND'],
    ];
    for (const [path, body, status, code] of bad) {
      const res = await owner.post(path, body);
      expect([path, body, res.status, res.json?.error?.code]).toEqual([path, body, status, code]);
      expect(res.text).not.toContain(SECRET);
    }
    expect(await state()).toEqual(before);
    await owner.post(`/api/admin/catalog/rules/${rule.id}/remove`, {});
  });

  it('owner adds a supplier account, routes a product through it, prices it with rules, and removes them; all audited', async () => {
    // A supplier account with a credential: masked in the answer, the list and the audit log.
    const added = await owner.post('/api/admin/suppliers', { kind: 'kiosgame', name: 'toss2', title: 'Toss 2', config: { api_key: SECRET, base_url: 'http://127.0.0.1:9' } });
    expect(added.status).toBe(200);
    expect(added.json.supplier).toMatchObject({ name: 'toss2', kind: 'kiosgame', title: 'Toss 2', active: true, baseUrl: 'http://127.0.0.1:9' });
    expect(added.text).not.toContain(SECRET);
    expect(added.json.supplier.config.api_key).toMatch(/^••••/);
    expect((await staff.get('/api/admin/suppliers')).json.items.map((s: { name: string }) => s.name)).toContain('toss2');
    const [sa] = await audits('supplier.add');
    expect(sa).toMatchObject({ target_type: 'supplier', target_id: 'toss2', before_json: null });
    expect(JSON.stringify(sa)).not.toContain(SECRET);
    expect(JSON.parse(sa!.after_json!)).toMatchObject({ kind: 'kiosgame', config: { api_key: expect.stringMatching(/^••••/) } });
    // The stored configuration is the real one (encrypted): the connector gets the key.
    const row = await t.kios.db.kysely.selectFrom('suppliers').select('config_enc').where('id', '=', 'toss2').executeTakeFirstOrThrow();
    expect(row.config_enc).not.toContain(SECRET);

    // A route through it, first, at a lower cost: the margins follow it.
    const route = await owner.post('/api/admin/catalog/routes', { product: 'S4_ML172', supplier: 'toss2', sku: 'ML172', cost: 30_000, priority: 1 });
    expect(route.status).toBe(200);
    expect(route.json.route).toMatchObject({ productCode: 'S4_ML172', supplier: 'toss2', sku: 'ML172', cost: 30_000, priority: 1, margins: { platinum: 37_248 - 30_000 } });
    const routes = (await staff.get('/api/admin/catalog/routes?product=S4_ML172')).json.items;
    expect(routes.map((r: { supplier: string; priority: number }) => [r.supplier, r.priority])).toEqual([['toss2', 1], ['simulator', 2]]);
    const [ra] = await audits('route.add');
    expect([ra!.target_id, ra!.before_json, JSON.parse(ra!.after_json!)]).toMatchObject(['S4_ML172', null, { supplier: 'toss2', sku: 'ML172', cost: 30_000, priority: 1 }]);

    // Rules priced over that cost: a category rule, then a product rule that wins over it.
    const cat = await owner.post('/api/admin/catalog/rules', { tier: 'gold', category: 'ML', percent: 5, apply: true });
    expect(cat.status).toBe(200);
    expect(cat.json).toMatchObject({ rule: { tier: 'gold', scope: 'category', target: 'ML', percentBp: 500 }, applied: true });
    expect(await gold('S4_ML172')).toBe(31_500);
    const prod = await owner.post('/api/admin/catalog/rules', { tier: 'gold', product: 'S4_ML172', percent: 10, round: 1000, apply: true });
    expect(prod.json.repriced.changed).toBe(1);
    expect(await gold('S4_ML172')).toBe(33_000);
    // The same scope again replaces the rule (and the audit keeps what it replaced).
    const again = await owner.post('/api/admin/catalog/rules', { tier: 'gold', product: 'S4_ML172', percent: 20, round: 1000, apply: true });
    expect(again.json.rule.id).toBe(prod.json.rule.id);
    expect(await gold('S4_ML172')).toBe(36_000);
    const ruleAudits = await audits('price.rule.add');
    expect(JSON.parse(ruleAudits.at(-1)!.before_json!)).toMatchObject({ id: prod.json.rule.id, percentBp: 1000 });

    // Removing the product rule and applying: the category rule prices it again.
    const removed = await owner.post(`/api/admin/catalog/rules/${prod.json.rule.id}/remove`, { apply: true });
    expect(removed.json).toMatchObject({ applied: true, repriced: { changed: 1 } });
    expect(await gold('S4_ML172')).toBe(31_500);
    expect((await staff.get('/api/admin/catalog/rules')).json.items.map((r: { id: string }) => r.id)).not.toContain(prod.json.rule.id);
    const rr = (await audits('price.rule.remove')).at(-1);
    expect([rr!.target_id, JSON.parse(rr!.before_json!).percentBp]).toEqual([prod.json.rule.id, 2000]);

    // Removing the route: the simulator serves it again at its cost, and the rule reprices it.
    const gone = await owner.post('/api/admin/catalog/routes/remove', { product: 'S4_ML172', supplier: 'toss2' });
    expect(gone.json).toEqual({ removed: 1 });
    const simCost = Math.floor(37_248 * 0.97);
    expect(await gold('S4_ML172')).toBe(Math.ceil(simCost * 1.05));
    expect((await staff.get('/api/admin/catalog/routes?product=S4_ML172')).json.items.map((r: { supplier: string }) => r.supplier)).toEqual(['simulator']);
    const [rm] = await audits('route.remove');
    expect(JSON.parse(rm!.before_json!)).toEqual([{ supplier: 'toss2', sku: 'ML172', cost: 30_000, priority: 1, active: true }]);

    await owner.post(`/api/admin/catalog/rules/${cat.json.rule.id}/remove`, {});
    const everything = await t.kios.db.kysely.selectFrom('audit_log').selectAll().execute();
    expect(JSON.stringify(everything)).not.toContain(SECRET);
  });
});
