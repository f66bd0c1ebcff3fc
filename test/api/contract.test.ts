import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../src/demo/demo-catalog.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import {
  commentAlternatives,
  expectErrorEnvelope,
  expectSameShape,
  expectSameValues,
  ISO_MS_Z,
  JSON_CONTENT_TYPE,
  jsonApiExamples,
  rawRequest,
  type CollectionExample,
} from '../helpers/json-api.js';
import { TestKios, type HttpResult, type Reseller } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';

/**
 * The reseller JSON API against the published Kiosgame collection (RULINGS section 1: "Every
 * example in the Postman collections is normative for field names, field order, JSON types and
 * HTTP status"). The examples are read from the fixture, so a field added to or dropped from our
 * output, or a change of order or type, fails here.
 */

const EXAMPLES = jsonApiExamples();

/** The endpoints of RULINGS section 1, "Paths". */
const RULINGS_ENDPOINTS = [
  'GET /v1/user',
  'GET /v1/products',
  'POST /v1/products',
  'GET /v1/products?category_id',
  'GET /v1/category',
  'GET /v1/product?product_code',
  'GET /v1/product?product_id',
  'GET /v1/status/:invoice_number',
  'GET /v1/status/trx-id/:trx_id',
  'POST /v1/order',
  'POST /v2/order',
];

const endpointOf = (ex: CollectionExample) => `${ex.method} ${ex.pathTemplate}${ex.query.length ? `?${ex.query.map(([k]) => k).join('&')}` : ''}`;

const categories = DEMO_CATALOG.categories ?? [];
function demoProduct(code: string) {
  for (const c of categories) for (const p of c.products ?? []) if (p.code === code) return { category: c, product: p };
  throw new Error(`${code} is not in the demo catalog`);
}
const platinum = (code: string) => (demoProduct(code).product.prices as Record<string, number>).platinum!;

function exampleFor(endpoint: string, status: number): CollectionExample {
  const ex = EXAMPLES.find((e) => endpointOf(e) === endpoint && e.status === status);
  if (!ex) throw new Error(`the collection has no ${status} example for ${endpoint}`);
  return ex;
}

function pathOf(ex: CollectionExample, variables: Record<string, string> = {}): string {
  const path = ex.pathTemplate.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(variables[name] ?? ex.variables[name] ?? `:${name}`));
  return ex.query.length ? `${path}?${new URLSearchParams(ex.query).toString()}` : path;
}

const unixNow = () => Math.floor(Date.now() / 1000);

describe.each(DIALECTS)('Kiosgame collection contract (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  /** The reseller of the user example (its name, email and tier), with two settled orders. */
  let a: Reseller;
  /** A reseller with no orders. */
  let b: Reseller;
  let invoiceNoTrx: string;
  const trxExample = exampleFor('GET /v1/status/trx-id/:trx_id', 200);

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    sink = await CallbackSink.start();
    const user = exampleFor('GET /v1/user', 200).body.data;
    const created = await t.kios.resellers.create({ name: user.user_name, email: user.user_email, phone: '6281234567890', role: user.role_code, balance: 1_000_000 });
    a = { id: created.reseller.id, apiKey: created.apiKey };
    b = await t.reseller();
    // The status examples: an order without trx_id (looked up by invoice) and one with the
    // example's own trx_id, both for the example's product and destination, both settled.
    const inv = exampleFor('GET /v1/status/:invoice_number', 200).body.data;
    const dest = { product_code: inv.product.code, user_id: inv.user_input.user_id, server_id: inv.user_input.server_id };
    const first = await t.order(a.apiKey, dest);
    const second = await t.order(a.apiKey, { ...dest, trx_id: trxExample.variables.trx_id });
    expect([first.status, second.status]).toEqual([201, 201]);
    invoiceNoTrx = first.json.data.invoice_number;
    await t.settle(invoiceNoTrx);
    await t.settle(second.json.data.invoice_number);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('reads every JSON example of the collection, covering every endpoint of RULINGS', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(16);
    expect([...new Set(EXAMPLES.map(endpointOf))].sort()).toEqual([...RULINGS_ENDPOINTS].sort());
    for (const ex of EXAMPLES) expect(scenarios[`${endpointOf(ex)} ${ex.status}`], `a scenario for ${ex.label}`).toBeTypeOf('function');
  });

  /** How to reproduce each example against kios, and what to check beyond shape and status. */
  const scenarios: Record<string, (ex: CollectionExample) => Promise<void>> = {
    'GET /v1/user 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      expectSameValues(res.json, ex.body, new Set(['$.data.user_phone', '$.data.user_balance', '$.data.user_created_at', '$.data.user_updated_at']));
      const me = await t.kios.resellers.get(a.id);
      const d = res.json.data;
      expect(d.user_phone).toBe(me.phone);
      expect(d.user_balance).toBe(await t.balance(a.id));
      expect(d.user_balance).toBe(1_000_000 - 2 * platinum('S1_1187'));
      expect(d.user_created_at).toMatch(ISO_MS_Z);
      expect(d.user_updated_at).toMatch(ISO_MS_Z);
      expect(d.user_created_at).toBe(new Date(me.createdAt).toISOString());
      expect(d.user_updated_at).toBe(new Date(me.updatedAt).toISOString());
    },
    // The example's own header is the placeholder `{apikey}`: an unknown key.
    'GET /v1/user 404': async (ex) => {
      expect(ex.headers.authorization).toBe('{apikey}');
      await send(ex, ex.headers.authorization!);
    },
    'GET /v1/products 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      checkProductList(res, ex);
      // Every product of the catalog (all have a platinum price), inactive ones included.
      const all = categories.flatMap((c) => (c.products ?? []).map((p) => ({ code: p.code, active: (p.active ?? true) && (c.active ?? true) })));
      expect(res.json.data.map((p: any) => p.product_code).sort()).toEqual(all.map((p) => p.code).sort());
      for (const p of all) expect(res.json.data.find((x: any) => x.product_code === p.code).is_active, p.code).toBe(p.active);
      expect(all.some((p) => !p.active)).toBe(true);
    },
    'POST /v1/products 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      checkProductList(res, ex);
      const get = await t.request('GET', '/v1/products', { key: a.apiKey });
      expect(res.json).toEqual(get.json);
    },
    'GET /v1/products?category_id 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      checkProductList(res, ex);
      const categoryId = new URLSearchParams(ex.query).get('category_id');
      const category = categories.find((c) => c.id === categoryId)!;
      expect(category, 'the demo catalog reproduces the example category').toBeDefined();
      expect(res.json.data.map((p: any) => p.product_code)).toEqual((category.products ?? []).map((p) => p.code));
      for (const p of res.json.data) expect(p.category_title).toBe(category.title);
    },
    'GET /v1/category 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      const [sample] = ex.body.data;
      const ours = res.json.data.find((c: any) => c.category_id === sample.category_id);
      expect(ours, `category ${sample.category_id}`).toBeDefined();
      expectSameValues(ours, sample);
      expect(res.json.data.map((c: any) => c.category_id)).toHaveLength(categories.length);
      const hok = res.json.data.find((c: any) => c.category_slug === 'honor-of-kings');
      expect(hok.is_active).toBe(0);
      expect(res.json.data.map((c: any) => c.category_order)).toEqual([...res.json.data.map((c: any) => c.category_order)].sort((x: number, y: number) => x - y));
    },
    'GET /v1/product?product_code 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      expectSameValues(res.json, ex.body);
    },
    'GET /v1/product?product_code 404': async (ex) => {
      await send(ex, a.apiKey);
    },
    'GET /v1/product?product_id 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      expectSameValues(res.json, ex.body);
    },
    'GET /v1/product?product_id 404': async (ex) => {
      await send(ex, a.apiKey);
    },
    'GET /v1/status/:invoice_number 200': async (ex) => {
      const res = await send(ex, a.apiKey, { invoice_number: invoiceNoTrx });
      expect(res.json.data.invoice_number).toBe(invoiceNoTrx);
      expect(res.json.data.trx_id).toBeNull();
      await checkSettledInvoice(res, ex);
    },
    // The example's own invoice number: not one of ours.
    'GET /v1/status/:invoice_number 404': async (ex) => {
      await send(ex, a.apiKey);
    },
    'GET /v1/status/trx-id/:trx_id 200': async (ex) => {
      const res = await send(ex, a.apiKey);
      expect(res.json.data.trx_id).toBe(ex.variables.trx_id);
      await checkSettledInvoice(res, ex);
    },
    // The same trx_id, asked by a reseller who never used it.
    'GET /v1/status/trx-id/:trx_id 404': async (ex) => {
      await send(ex, b.apiKey);
    },
    'POST /v1/order 201': async (ex) => {
      await placeAsExample(ex);
    },
    'POST /v2/order 201': async (ex) => {
      await placeAsExample(ex);
    },
  };

  it.each(EXAMPLES.map((ex) => [ex.label, ex] as const))('%s', async (_label, ex) => {
    const scenario = scenarios[`${endpointOf(ex)} ${ex.status}`];
    if (!scenario) throw new Error(`no scenario for ${ex.label}`);
    await scenario(ex);
  });

  /** Sends the example's request (with our key, variables and body) and checks status, content type, envelope and shape. */
  async function send(ex: CollectionExample, key: string, variables: Record<string, string> = {}, body?: Record<string, unknown>): Promise<HttpResult<any>> {
    const res = await t.request(ex.method, pathOf(ex, variables), { key, ...(body ? { body } : {}) });
    const ctx = `${ex.label}: ${res.text.slice(0, 300)}`;
    expect(res.status, ctx).toBe(ex.status);
    expect(res.headers.get('content-type'), ctx).toBe(ex.contentType);
    expect(ex.contentType).toBe(JSON_CONTENT_TYPE);
    if (ex.status >= 400) {
      expectErrorEnvelope(res, ex.status, ex.body.message, ex.label);
      // Exactly the example's three fields (RULINGS lets `details` follow).
      const { details: _details, ...rest } = res.json;
      expect(JSON.stringify(rest)).toBe(JSON.stringify(ex.body));
    } else {
      expectSameShape(res.json, ex.body);
      expect(res.json.statusCode).toBe(ex.body.statusCode);
      expect(res.json.message).toBe(ex.body.message);
    }
    return res;
  }

  function checkProductList(res: HttpResult<any>, ex: CollectionExample) {
    const [sample] = ex.body.data;
    const ours = res.json.data.find((p: any) => p.product_id === sample.product_id);
    expect(ours, `product ${sample.product_id} of the example`).toBeDefined();
    // Same values (the example's null subtitle may be a string, as RULINGS allows).
    expectSameValues(ours, sample);
    expect(ours.product_price).toBe(platinum(sample.product_code));
  }

  /** The status examples, against an order of the example's product that the simulator fulfilled. */
  async function checkSettledInvoice(res: HttpResult<any>, ex: CollectionExample) {
    const d = res.json.data;
    expectSameValues(res.json, ex.body, new Set(['$.data.invoice_number', '$.data.response_note', '$.data.user_input.nickname', '$.data.created_at']));
    const row = await t.orderRow(d.invoice_number);
    expect(row.reseller_id).toBe(a.id);
    expect(d.status).toBe('SUCCESS');
    expect(commentAlternatives(ex.rawBody, 'status')).toContain(d.status);
    expect(d.invoice_number).toMatch(new RegExp(`^KIOS_${demoProduct(d.product.code).category.code}_\\d{10}_\\d{4}$`));
    expect(d.created_at).toMatch(ISO_MS_Z);
    expect(d.created_at).toBe(new Date(row.created_at).toISOString());
    // Once the supplier's reference is known, the RefId is that reference.
    const [attempt] = await supplierAttemptsOf(t.kios.db.kysely, row.id);
    expect(attempt?.supplier_ref).toBeTruthy();
    expect(d.user_input.nickname).toBeTypeOf('string');
    expect(d.response_note).toBe(`${d.user_input.nickname} - ${d.user_input.user_id}(${d.user_input.server_id}) . RefId: ${attempt!.supplier_ref}`);
  }

  /** Places the example's order (its callback pointed at our sink) for a fresh reseller. */
  async function placeAsExample(ex: CollectionExample) {
    const r = await t.reseller({ balance: 50_000 });
    const body: Record<string, unknown> = { ...ex.requestBody!, callback_url: `${sink.url}/callback` };
    const before = unixNow();
    const res = await send(ex, r.apiKey, {}, body);
    const after = unixNow();
    const d = res.json.data;
    const { category, product } = demoProduct(String(body.product_code));
    // Values that the demo catalog reproduces; the rest are checked by format below.
    expectSameValues(res.json, ex.body, new Set(['$.data.invoice_number', '$.data.trx_id', '$.data.response_note', '$.data.user_input.nickname', '$.data.status', '$.data.created_at']));
    expect(d.trx_id).toBe(body.trx_id);
    expect(d.category).toEqual({ title: category.title, subtitle: category.subtitle ?? null, type: category.type });
    expect(d.product).toEqual({ name: product.name, code: product.code, price: platinum(product.code) });
    expect(d.amount).toBe(platinum(product.code));
    expect(d.status).toBe('PENDING');
    expect(commentAlternatives(ex.rawBody, 'status')).toContain(d.status);
    const inv = /^KIOS_([A-Z0-9]+)_(\d+)_(\d{4})$/.exec(d.invoice_number);
    expect(inv, d.invoice_number).not.toBeNull();
    expect(inv![1]).toBe(category.code);
    expect(Number(inv![2])).toBeGreaterThanOrEqual(before);
    expect(Number(inv![2])).toBeLessThanOrEqual(after);
    expect(d.user_input.nickname).toBeTypeOf('string');
    const note = new RegExp(`^${esc(d.user_input.nickname)} - ${esc(String(body.user_id))}\\(${esc(String(body.server_id))}\\) \\. RefId: ${category.code}_(\\d+)_\\d{4}$`).exec(d.response_note);
    expect(note, d.response_note).not.toBeNull();
    expect(Number(note![1])).toBeGreaterThanOrEqual(before);
    expect(Number(note![1])).toBeLessThanOrEqual(after);
    expect(d.created_at).toMatch(ISO_MS_Z);
    expect(Date.parse(d.created_at)).toBeGreaterThanOrEqual(before * 1000);
    expect(Date.parse(d.created_at)).toBeLessThan((after + 1) * 1000);
    expect(await t.balance(r.id)).toBe(50_000 - platinum(product.code));
    // The invoice object of the order is the one the status endpoint gives.
    const status = await t.request('GET', `/v1/status/${d.invoice_number}`, { key: r.apiKey });
    expectSameShape(status.json, exampleFor('GET /v1/status/:invoice_number', 200).body);
    expect(status.json.data.invoice_number).toBe(d.invoice_number);
    await t.settle(d.invoice_number);
  }

  it('v2 with a trx_id already used: HTTP 200, the existing invoice, nothing charged, whatever the other fields say', async () => {
    const ex = exampleFor('POST /v2/order', 201);
    const r = await t.reseller({ balance: 50_000 });
    const body: Record<string, unknown> = { ...ex.requestBody!, trx_id: `repeat-${dialect}` };
    delete body.callback_url;
    const first = await t.order(r.apiKey, body, 'v2');
    expect(first.status).toBe(201);
    await t.settle(first.json.data.invoice_number);
    const before = await t.snapshot();
    const again = await t.order(r.apiKey, { ...body, product_code: 'S4_ML86', user_id: '987654321' }, 'v2');
    expect(again.status).toBe(200);
    expect(again.headers.get('content-type')).toBe(JSON_CONTENT_TYPE);
    expectSameShape(again.json, ex.body);
    expect(again.json.statusCode).toBe(200);
    expect(again.json.data.invoice_number).toBe(first.json.data.invoice_number);
    expect(again.json.data.product.code).toBe(body.product_code);
    expect(again.json.data.user_input.user_id).toBe(body.user_id);
    expect(again.json.data.status).toBe('SUCCESS');
    expect(await t.snapshot()).toEqual(before);
    expect(await t.balance(r.id)).toBe(50_000 - platinum(String(body.product_code)));
  });

  it('an order without trx_id or callback_url, and a product without server: null fields as the examples', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const res = await t.order(r.apiKey, { product_code: 'S1_10835', user_id: '123456789' });
    expect(res.status).toBe(201);
    expectSameShape(res.json, exampleFor('POST /v1/order', 201).body);
    expect(res.json.data.trx_id).toBeNull();
    expect(res.json.data.user_input.server_id).toBeNull();
    expect(res.json.data.voucher).toBeNull();
    expect(res.json.data.response_note).toMatch(new RegExp(`^${esc(res.json.data.user_input.nickname)} - 123456789 \\. RefId: NIKKE_\\d+_\\d{4}$`));
    await t.settle(res.json.data.invoice_number);
  });

  describe('bodies', () => {
    const order = { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' };

    it('form-encoded (application/x-www-form-urlencoded) places a valid order', async () => {
      const r = await t.reseller({ balance: 50_000 });
      const res = await t.request('POST', '/v1/order', {
        key: r.apiKey,
        rawBody: new URLSearchParams({ ...order, trx_id: 'form-1' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status, res.text).toBe(201);
      expectSameShape(res.json, exampleFor('POST /v1/order', 201).body);
      expect(res.json.data.trx_id).toBe('form-1');
      expect(res.json.data.user_input).toMatchObject({ user_id: '123456789', server_id: '1234' });
      expect(await t.balance(r.id)).toBe(50_000 - platinum('S1_1187'));
      await t.settle(res.json.data.invoice_number);
    });

    it('a JSON body sent without any Content-Type places the order', async () => {
      const r = await t.reseller({ balance: 50_000 });
      const res = await rawRequest(t.url, 'POST', '/v1/order', { authorization: r.apiKey }, JSON.stringify({ ...order, trx_id: 'no-ct-1' }));
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('content-type')).toBe(JSON_CONTENT_TYPE);
      expectSameShape(res.json, exampleFor('POST /v1/order', 201).body);
      expect((res.json as any).data.trx_id).toBe('no-ct-1');
      expect(await t.balance(r.id)).toBe(50_000 - platinum('S1_1187'));
      await t.settle((res.json as any).data.invoice_number);
    });

    it('a JSON body labelled form-encoded (curl -d, PHP defaults) or prefixed with a UTF-8 BOM places the order', async () => {
      const r = await t.reseller({ balance: 50_000 });
      const sends = [
        { trx: 'curl-d-1', body: JSON.stringify({ ...order, trx_id: 'curl-d-1' }), type: 'application/x-www-form-urlencoded' },
        { trx: 'bom-1', body: `\ufeff${JSON.stringify({ ...order, trx_id: 'bom-1' })}`, type: 'application/json' },
      ];
      for (const s of sends) {
        const res = await t.request('POST', '/v1/order', { key: r.apiKey, rawBody: s.body, headers: { 'content-type': s.type } });
        expect(res.status, res.text).toBe(201);
        expect(res.json.data.trx_id).toBe(s.trx);
        await t.settle(res.json.data.invoice_number);
      }
      expect(await t.balance(r.id)).toBe(50_000 - 2 * platinum('S1_1187'));
    });

    it('a JSON body sent as text/plain (what fetch() sends when the type is forgotten) places the order', async () => {
      const r = await t.reseller({ balance: 50_000 });
      const res = await t.request('POST', '/v1/order', { key: r.apiKey, rawBody: JSON.stringify({ ...order, trx_id: 'text-1' }), headers: { 'content-type': 'text/plain;charset=UTF-8' } });
      expect(res.status, res.text).toBe(201);
      expect(res.json.data.trx_id).toBe('text-1');
      expect(await t.balance(r.id)).toBe(50_000 - platinum('S1_1187'));
      await t.settle(res.json.data.invoice_number);
    });

    it('ids sent as JSON numbers (PHP and JS clients do) are taken as their digits', async () => {
      const r = await t.reseller({ balance: 50_000 });
      const res = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: 123456789, server_id: 1234, trx_id: 42 });
      expect(res.status, res.text).toBe(201);
      expect(res.json.data.user_input).toMatchObject({ user_id: '123456789', server_id: '1234' });
      expect(res.json.data.trx_id).toBe('42');
      await t.settle(res.json.data.invoice_number);
    });

    it('Authorization as `Bearer <key>` is accepted as well as the raw key', async () => {
      const raw = await t.request('GET', '/v1/user', { key: a.apiKey });
      const bearer = await t.request('GET', '/v1/user', { key: `Bearer ${a.apiKey}` });
      expect(raw.status).toBe(200);
      expect(bearer.status).toBe(200);
      expect(bearer.json).toEqual(raw.json);
    });
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
