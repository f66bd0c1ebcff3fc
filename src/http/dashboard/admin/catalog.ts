import { z } from 'zod';
import type { Kios } from '../../../app.js';
import { CatalogImportError } from '../../../catalog/import.js';
import { percentToBp } from '../../../pricing/markup.js';
import type { PricePlan } from '../../../pricing/reprice.js';
import { DashboardError } from '../errors.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { errors, pageOf, pageQuery, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: catalog'];
const code = z.object({ code: z.string().min(1).max(100) });
/** Catalog files are large (thousands of products): well above the API's default body limit. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const tier = z.object({ code: z.string(), name: z.string(), order: z.number().int() }).meta({ id: 'Tier' });
const category = z
  .object({ id: z.string(), code: z.string(), type: z.string(), title: z.string(), subtitle: z.string().nullable(), slug: z.string(), active: z.boolean(), order: z.number().int() })
  .meta({ id: 'AdminCategory' });
const product = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    active: z.boolean(),
    category: z.object({ id: z.string(), code: z.string(), title: z.string() }),
    prices: z.record(z.string(), z.number().int()).describe('selling price per tier code; a tier not listed cannot buy it'),
  })
  .meta({ id: 'AdminProduct' });
const route = z
  .object({
    productCode: z.string(),
    productName: z.string(),
    priority: z.number().int(),
    supplier: z.string(),
    supplierKind: z.string(),
    supplierActive: z.boolean(),
    sku: z.string(),
    cost: z.number().int().nullable(),
    active: z.boolean(),
    margins: z.record(z.string(), z.number().int().nullable()),
  })
  .meta({ id: 'AdminRoute' });
const rule = z
  .object({
    id: z.string(),
    tier: z.string(),
    scope: z.enum(['all', 'category', 'product']),
    target: z.string().nullable(),
    percentBp: z.number().int(),
    fixed: z.number().int(),
    roundStep: z.number().int(),
    description: z.string(),
  })
  .meta({ id: 'AdminMarkupRule' });
const productCode = z.string().trim().min(1).max(100);
const supplierName = z.string().trim().min(1).max(64);
const rupiah = z.number().int().min(0).max(1_000_000_000_000);
/** What a reprice did, counted (the CLI's --json lists them). */
const repriced = z.object({ changed: z.number().int(), belowCost: z.number().int(), noCost: z.number().int() }).meta({ id: 'RepriceCounts' });
const counted = (p: PricePlan) => ({ changed: p.changes.length, belowCost: p.belowCost.length, noCost: p.noCost.length });
const catalogFile = z
  .looseObject({ tiers: z.array(z.unknown()).optional(), suppliers: z.array(z.unknown()).optional(), categories: z.array(z.unknown()).optional() })
  .describe('The catalog file format of `kios catalog import` (README, "Catalog file")')
  .meta({ id: 'CatalogFile' });

/**
 * The catalog for operators: everyone may look (categories, products with their price per tier,
 * routes with margins, markup rules, the export); only owners change prices, switch products
 * and import, through the services the CLI uses (`kios price set`, `kios catalog enable|disable`,
 * `kios catalog import`), and manage routes and markup rules (`kios route add|remove`,
 * `kios price rule add|remove`, with `--apply`). Every change is audited after it is made.
 */
export function adminCatalogRoutes(app: DashboardApp, k: Kios): void {
  const anyone = requireOperator();
  const owner = requireOperator({ owner: true });

  app.get('/catalog/tiers', { onRequest: anyone, schema: { tags, summary: 'Price tiers', response: { 200: z.object({ items: z.array(tier) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: (await k.db.kysely.selectFrom('roles').select(['code', 'name', 'sort_order']).orderBy('sort_order').orderBy('code').execute()).map((r) => ({ code: r.code, name: r.name, order: r.sort_order })),
  }));

  app.get('/catalog/categories', { onRequest: anyone, schema: { tags, summary: 'Categories', response: { 200: z.object({ items: z.array(category) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: (await k.catalog.listCategories()).map((c) => ({ id: c.id, code: c.code, type: c.type, title: c.title, subtitle: c.subtitle, slug: c.slug, active: c.is_active === 1, order: c.sort_order })),
  }));

  app.get(
    '/catalog/products',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Products by code with their price per tier; q searches code and name',
        querystring: pageQuery.extend({ q: z.string().trim().max(100).optional(), category: z.string().max(100).optional() }),
        response: { 200: pageOf(product), ...errors(400, ...SESSION_ERRORS) },
      },
    },
    async (req) => {
      const page = await k.products.list(req.query);
      return {
        items: page.items.map((p) => ({ id: p.id, code: p.code, name: p.name, active: p.active, category: { id: p.categoryId, code: p.categoryCode, title: p.categoryTitle }, prices: p.prices })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/catalog/routes',
    {
      onRequest: anyone,
      schema: { tags, summary: 'Supplier routes in priority order with the margin per tier (of one product, or all)', querystring: z.object({ product: z.string().max(100).optional() }), response: { 200: z.object({ items: z.array(route) }), ...errors(400, ...SESSION_ERRORS) } },
    },
    async (req) => ({ items: await k.routes.list(req.query.product) }),
  );

  app.get('/catalog/rules', { onRequest: anyone, schema: { tags, summary: 'Markup rules', response: { 200: z.object({ items: z.array(rule) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: await k.pricing.listRules(),
  }));

  app.post(
    '/catalog/products/:code/price',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: "Hand-set one tier's price of a product, or with null stop selling it to that tier (owners)",
        description: 'A markup rule covering the product replaces a hand-set price at its next reprice.',
        params: code,
        body: z.object({ tier: z.string().min(1).max(32), price: z.number().int().positive().nullable() }),
        response: { 200: z.object({ product }), ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const c = req.params.code;
      await k.products.setPrice(c, req.body.tier, req.body.price, k.audit.within(actorOf(req), 'product.price', { type: 'product', id: c }, null));
      return { product: await productOf(k, c) };
    },
  );

  for (const [verb, active] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/catalog/products/:code/${verb}`,
      {
        onRequest: owner,
        schema: { tags, summary: active ? 'Sell a product again (owners)' : 'Stop selling a product: orders are refused with PRODUCT_INACTIVE (owners)', params: code, response: { 200: z.object({ product }), ...errors(...WRITE_ERRORS, 404) } },
      },
      async (req) => {
        const c = req.params.code;
        await k.products.setActive(c, active, k.audit.within(actorOf(req), `product.${verb}`, { type: 'product', id: c }));
        return { product: await productOf(k, c) };
      },
    );
  }

  app.post(
    '/catalog/routes',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: "Add a route, or change its cost and priority (owners), as `kios route add`; the product's markup rules reprice it",
        body: z.object({
          product: productCode,
          supplier: supplierName,
          sku: z.string().min(1).max(100),
          cost: rupiah.describe("the supplier's price to you"),
          priority: z.number().int().min(1).max(1000).optional().describe('1 = tried first; none: last (or where it is, for a route that exists)'),
        }),
        response: { 200: z.object({ route, repriced }), ...errors(...WRITE_ERRORS) },
      },
    },
    async (req) => {
      const { product: p, supplier: s, sku, cost, priority } = req.body;
      const before = (await k.routes.list(p)).find((r) => r.supplier === s && r.sku === sku.trim());
      const { repriced: plan, ...added } = await k.routes.add(p, s, sku, { cost, priority });
      await k.audit.record(actorOf(req), 'route.add', { type: 'product', id: p }, before ? routeAudit(before) : null, { ...routeAudit(added), repriced: counted(plan) });
      return { route: added, repriced: counted(plan) };
    },
  );

  app.post(
    '/catalog/routes/remove',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: "Remove a product's routes through a supplier, or only the one with `sku` (owners), as `kios route remove`; the product's markup rules reprice it",
        body: z.object({ product: productCode, supplier: supplierName, sku: z.string().min(1).max(100).optional() }),
        response: { 200: z.object({ removed: z.number().int() }), ...errors(...WRITE_ERRORS) },
      },
    },
    async (req) => {
      const { product: p, supplier: s, sku } = req.body;
      const before = (await k.routes.list(p)).filter((r) => r.supplier === s && (sku === undefined || r.sku === sku));
      const removed = await k.routes.remove(p, s, sku);
      await k.audit.record(actorOf(req), 'route.remove', { type: 'product', id: p }, before.map(routeAudit), { removed });
      return { removed };
    },
  );

  app.post(
    '/catalog/rules',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: "Add a markup rule, replacing the tier's rule for the same scope (owners), as `kios price rule add`",
        description: 'price = cost + percent + fixed, rounded up to a multiple of `round`; the most specific rule wins (product, category, all). With `apply` the products are repriced now; otherwise at their next cost change or `kios price apply`.',
        body: z.object({
          tier: z.string().min(1).max(32),
          percent: z.number().min(-100).max(10_000).default(0).describe('at most two decimals'),
          fixed: z.number().int().min(-1_000_000_000).max(1_000_000_000).default(0),
          round: z.number().int().min(1).max(1_000_000_000).default(1),
          category: z.string().min(1).max(100).optional(),
          product: productCode.optional(),
          apply: z.boolean().default(false),
        }),
        response: { 200: z.object({ rule, applied: z.boolean(), repriced }), ...errors(...WRITE_ERRORS) },
      },
    },
    async (req) => {
      const b = req.body;
      const percentBp = percentToBp(String(b.percent));
      if (percentBp === null) throw new DashboardError('VALIDATION', 'the request is not valid', [{ path: 'percent', message: 'at most two decimals, -100 to 10000' }]);
      const scope = b.product !== undefined ? 'product' : b.category !== undefined ? 'category' : 'all';
      const before = (await k.pricing.listRules()).find((r) => r.tier === b.tier && r.scope === scope && r.target === (b.product ?? b.category ?? null));
      const added = await k.pricing.addRule({ tier: b.tier, percentBp, fixed: b.fixed, roundStep: b.round, category: b.category, product: b.product });
      const plan = counted(b.apply ? await k.pricing.apply() : await k.pricing.preview());
      await k.audit.record(actorOf(req), 'price.rule.add', { type: 'price_rule', id: added.id }, before ?? null, { ...added, applied: b.apply, repriced: plan });
      return { rule: added, applied: b.apply, repriced: plan };
    },
  );

  app.post(
    '/catalog/rules/:id/remove',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Remove a markup rule (owners), as `kios price rule remove`; the prices it set stay unless `apply` reprices by the rules left',
        params: z.object({ id: z.string().min(1).max(64) }),
        body: z.object({ apply: z.boolean().default(false) }),
        response: { 200: z.object({ applied: z.boolean(), repriced }), ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const before = (await k.pricing.listRules()).find((r) => r.id === req.params.id);
      if (!before) throw new DashboardError('NOT_FOUND', `no price rule "${req.params.id}"`);
      await k.pricing.removeRule(before.id);
      const plan = counted(req.body.apply ? await k.pricing.apply() : await k.pricing.preview());
      await k.audit.record(actorOf(req), 'price.rule.remove', { type: 'price_rule', id: before.id }, before, { applied: req.body.apply, repriced: plan });
      return { applied: req.body.apply, repriced: plan };
    },
  );

  app.get('/catalog/export', { onRequest: anyone, schema: { tags, summary: 'The whole catalog as an importable file (supplier credentials left out)', response: { 200: catalogFile, ...errors(...SESSION_ERRORS) } } }, async (_req, reply) => {
    reply.header('content-disposition', 'attachment; filename="kios-catalog.json"');
    return k.catalog.export();
  });

  app.post(
    '/catalog/import',
    {
      onRequest: owner,
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import a catalog file (owners): everything is checked before anything is written; nothing is deleted',
        body: catalogFile,
        response: { 200: z.object({ tiers: z.number().int(), suppliers: z.number().int(), categories: z.number().int(), products: z.number().int() }), ...errors(...WRITE_ERRORS) },
      },
    },
    async (req) => {
      try {
        const counts = await k.catalog.import(req.body);
        await k.audit.record(actorOf(req), 'catalog.import', { type: 'catalog', id: null }, null, counts);
        return counts;
      } catch (err) {
        if (err instanceof CatalogImportError) {
          throw new DashboardError(
            'VALIDATION',
            `the catalog file has ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}; nothing was imported`,
            err.problems.map((p) => {
              const at = p.indexOf(': ');
              return at > 0 ? { path: p.slice(0, at), message: p.slice(at + 2) } : { path: '', message: p };
            }),
          );
        }
        throw err;
      }
    },
  );
}

function routeAudit(r: { supplier: string; sku: string; cost: number | null; priority: number; active: boolean }) {
  return { supplier: r.supplier, sku: r.sku, cost: r.cost, priority: r.priority, active: r.active };
}

async function productOf(k: Kios, code: string) {
  const p = await k.products.get(code);
  return { id: p.id, code: p.code, name: p.name, active: p.active, category: { id: p.categoryId, code: p.categoryCode, title: p.categoryTitle }, prices: p.prices };
}
