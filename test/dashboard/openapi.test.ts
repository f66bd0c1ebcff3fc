import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020Module from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DashboardClient, memberSession, operatorSession } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';

/**
 * The API reference. `/openapi.json` must be valid OpenAPI 3.1, and true: a walker calls EVERY
 * operation in it (so a route added later is covered without touching this file, except for a
 * path parameter it has never seen: add it to FIXTURES) and checks the answer's status is one the
 * document lists and its body matches the documented schema. Writes are sent invalid and must be
 * refused (400, or 401/403 by the guards) without changing anything.
 */
vi.setConfig({ testTimeout: 120_000 });

// ajv is CommonJS: its class is the module's default export.
const Ajv2020 = Ajv2020Module.default;

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
type Operation = {
  requestBody?: unknown;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

/**
 * Values for every path parameter any documented route has: a new parameter needs a line here,
 * keyed by its name, or by `<path template> <name>` when one name means different things on
 * different routes (the specific key wins). Data they need is made in beforeAll (World).
 */
type Fixtures = Record<string, (w: World) => string>;
const FIXTURES: Fixtures = {
  invoice_number: (w) => w.invoice,
  // /api/member/orders/:invoice and /api/admin/orders/:invoice.
  invoice: (w) => w.invoice,
  trx_id: (w) => w.trxId,
  merchant_id: (w) => w.merchantId,
  '/api/member/deposits/{id} id': (w) => w.depositId,
  '/api/member/deposits/{id}/cancel id': (w) => w.depositId,
  '/api/member/redeem/projects/{id} id': (w) => w.projectId,
  '/api/admin/deposits/{id}/confirm id': (w) => w.depositId,
  '/api/admin/deposits/{id}/cancel id': (w) => w.depositId,
  '/api/admin/operators/{id}/disable id': (w) => w.staffId,
  '/api/admin/operators/{id}/link id': (w) => w.staffId,
  '/api/admin/operators/{id}/reset-totp id': (w) => w.staffId,
  '/api/admin/catalog/rules/{id}/remove id': (w) => w.ruleId,
  // /api/admin/resellers/{id}/...
  id: (w) => w.reseller.id,
  // /api/admin/catalog/products/{code}/..., /api/admin/suppliers/{name}/...
  code: () => 'S1_1187',
  name: () => 'simulator',
};

/** Query strings (by path template) for GET operations that need one to answer 200; they must change nothing. */
const QUERIES: Record<string, Record<string, string>> = {
  '/v1/product': { product_code: 'S1_1187' },
};

interface World {
  t: TestKios;
  reseller: Reseller;
  member: DashboardClient;
  owner: DashboardClient;
  invoice: string;
  trxId: string;
  merchantId: string;
  depositId: string;
  projectId: string;
  staffId: string;
  ruleId: string;
}

describe.each(DIALECTS)('OpenAPI document and reference (%s)', (dialect) => {
  let w: World;
  let doc: Doc;

  beforeAll(async () => {
    const t = await TestKios.start(dialect);
    const reseller = await t.reseller();
    const placed = await t.order(reseller.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', trx_id: 'walker-1' });
    expect(placed.status, placed.text).toBe(201);
    const summary = await t.kios.resellers.get(reseller.id);
    await t.kios.deposits.banks.add({ code: 'BCA', bank: 'BCA', number: '1234567890', holder: 'PT Kios Walker' });
    const deposit = await t.kios.deposits.request(reseller.id, 50_000);
    const project = await t.kios.redeem.createProject(summary, ['WALKER-CODE-1'], null);
    w = {
      t,
      reseller,
      member: await memberSession(t, reseller.id),
      owner: await operatorSession(t, 'owner'),
      invoice: placed.json.data.invoice_number,
      trxId: 'walker-1',
      merchantId: summary.merchantId!,
      depositId: deposit.id,
      projectId: project.projectId,
      staffId: (await operatorSession(t, 'staff')).id,
      ruleId: (await t.kios.pricing.addRule({ tier: 'gold', percentBp: 200, fixed: 0, roundStep: 1, product: 'S1_1187' })).id,
    };
    doc = (await t.request('GET', '/openapi.json')).json;
  });
  afterAll(async () => {
    await w?.t.close();
  });

  it('/openapi.json is valid OpenAPI 3.1 and documents the dashboards and the protocols', async () => {
    const res = await new Validator().validate(doc as never);
    expect(res.errors ?? [], JSON.stringify(res.errors)).toEqual([]);
    expect(res.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/member/auth/login', '/api/admin/auth/login', '/api/admin/operators', '/v1/user', '/v2/order', '/v1/status/{invoice_number}', '/v3/otomax/order', '/merchant/{merchant_id}/kiosgamer/redem/bulk']) {
      expect(paths).toContain(p);
    }
    // Internal routes stay out.
    expect(paths.some((p) => p.startsWith('/suppliers/') || p.startsWith('/docs') || p === '/openapi.json')).toBe(false);
  });

  it('/docs is an HTML page that loads only local scripts (no CDN)', async () => {
    const page = await w.t.request('GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const srcs = [...page.text.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBeGreaterThan(0);
    for (const src of srcs) {
      expect(src).not.toMatch(/^(?:[a-z]+:)?\/\//i);
      const asset = await fetch(new URL(src, `${w.t.url}/docs/`));
      expect(asset.status, src).toBe(200);
      expect((await asset.text()).length).toBeGreaterThan(1000);
    }
    expect(page.text).not.toMatch(/https?:\/\/(?:cdn|unpkg|fonts)\./);
  });

  it('every documented operation answers a documented status with a body of the documented shape', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: 'https://kios.local/openapi.json', components: doc.components });
    const check = (path: string, method: string, op: Operation, status: number, contentType: string | null, body: string) => {
      const documented = op.responses[String(status)];
      expect(documented, `${method} ${path} answered ${status}, not documented (${Object.keys(op.responses)}): ${body.slice(0, 300)}`).toBeDefined();
      const content = documented!.content;
      if (!content) return;
      // Text answers (Otomax lines, CSV downloads) are checked for their documented media type.
      const [mediaType] = Object.keys(content);
      if (!content['application/json']) {
        expect(contentType?.split(';')[0], `${method} ${path}`).toBe(mediaType);
        return;
      }
      expect(contentType, `${method} ${path}`).toMatch(/^application\/json/);
      const schema = JSON.parse(JSON.stringify(content['application/json']!.schema).replaceAll('"#/components/', '"https://kios.local/openapi.json#/components/'));
      const validate = ajv.compile(schema);
      const ok = validate(JSON.parse(body));
      expect(ok, `${method} ${path} ${status}: ${JSON.stringify(validate.errors)}\n${body.slice(0, 500)}`).toBe(true);
    };

    let operations = 0;
    for (const [template, item] of Object.entries(doc.paths)) {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const fixture = FIXTURES[`${template} ${name}`] ?? FIXTURES[name];
        if (!fixture) throw new Error(`${template}: no fixture for path parameter "${name}"; add one to FIXTURES in test/dashboard/openapi.test.ts`);
        return encodeURIComponent(fixture(w));
      });
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const before = await snapshot(w.t);
        const write = method !== 'get';
        if (path.startsWith('/api/')) {
          const client = path.startsWith('/api/member/') ? w.member : w.owner;
          // A write with a body is sent an invalid one (an array); a write without one, no CSRF token.
          const r = await client.call(method.toUpperCase(), path, write ? { body: [], csrf: op.requestBody !== undefined } : {});
          if (write) expect([400, 401, 403], `${method} ${path}: ${r.text}`).toContain(r.status);
          else expect(r.status, `${method} ${path}: ${r.text}`).toBe(200);
          check(template, method, op, r.status, r.headers.get('content-type'), r.text);
        } else {
          const scheme = Object.keys(op.security?.[0] ?? {})[0];
          const url = new URL(`${w.t.url}${path}`);
          for (const [name, value] of Object.entries(QUERIES[template] ?? {})) url.searchParams.set(name, value);
          const headers: Record<string, string> = {};
          if (scheme === 'apiKey') headers.authorization = w.reseller.apiKey;
          if (scheme === 'otomaxKey') url.searchParams.set('apikey', w.reseller.apiKey);
          if (write) headers['content-type'] = 'application/json';
          const res = await fetch(url, { method: method.toUpperCase(), headers, body: write ? '[]' : undefined });
          const text = await res.text();
          if (!write) expect(res.status, `${method} ${path}: ${text}`).toBe(200);
          check(template, method, op, res.status, res.headers.get('content-type'), text);
        }
        expect(await snapshot(w.t), `${method} ${path} changed something`).toEqual(before);
      }
    }
    expect(operations).toBeGreaterThan(25);
    // The sessions the walker used are still alive (no write went through).
    expect((await w.member.get('/api/member/auth/session')).status).toBe(200);
    expect((await w.owner.get('/api/admin/auth/session')).status).toBe(200);
  });
});

/** What a refused write must leave alone. */
async function snapshot(t: TestKios) {
  const k = t.kios.db.kysely;
  const count = async (table: 'sessions' | 'operators' | 'audit_log' | 'auth_tokens' | 'redeem_projects') =>
    Number((await k.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const operators = await k.selectFrom('operators').select(['id', 'password_hash', 'totp_pending_enc', 'totp_secret_enc', 'disabled_at']).orderBy('id').execute();
  return { ...(await t.snapshot()), sessions: await count('sessions'), operators, audit: await count('audit_log'), tokens: await count('auth_tokens'), redeem: await count('redeem_projects') };
}
