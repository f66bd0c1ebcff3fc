import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CatalogListCache } from '../../catalog/list-cache.js';
import type { Kios } from '../../app.js';
import { KiosError } from '../../domain/errors.js';
import { parseOrderInput } from '../../domain/order-input.js';
import { invoiceView } from '../../orders/views.js';
import type { AuthenticatedReseller } from '../../resellers/service.js';
import { guarded, type HttpLimits } from '../limits.js';

/**
 * The Kiosgame Indonesia / Toss Games reseller API (RULINGS section 1), byte-compatible with the
 * published collection: same paths, field names and order, JSON types and status codes.
 */
export async function resellerApiRoutes(app: FastifyInstance, k: Kios, limits: HttpLimits): Promise<void> {
  // Authentication runs before the body is even read: unknown callers cost one indexed lookup,
  // and an address sending many unknown keys none at all.
  app.addHook('onRequest', async (req) => {
    const caller = await guarded(limits.unknownKeys, req.ip, () => k.resellers.authenticate(apiKeyFromHeader(req.headers.authorization), req.ip));
    req.reseller = caller;
    req.catalogVersion = caller.catalogVersion;
  });
  await app.register(rateLimit, {
    ...limits.store,
    max: k.config.rateLimitMax,
    timeWindow: k.config.rateLimitWindowMs,
    hook: 'preParsing',
    keyGenerator: (req) => req.reseller?.id ?? req.ip,
    errorResponseBuilder: () => new KiosError('TOO_MANY_REQUESTS', `at most ${k.config.rateLimitMax} requests per ${k.config.rateLimitWindowMs / 1000} s`),
  });

  app.get('/v1/user', async (req) => success(userView(me(req))));

  // The answer as sent, per tier and category filter: resellers poll this list, and it changes
  // only when the catalog does.
  const productLists = new CatalogListCache<string>();
  const listProducts = async (req: FastifyRequest, reply: FastifyReply) => {
    const categoryId = param(req.query, 'category_id') ?? param(req.body, 'category_id');
    const roleCode = me(req).roleCode;
    const build = async () => {
      const items = await k.catalog.listProducts(roleCode, categoryId === undefined ? {} : { categoryId });
      return JSON.stringify(
        success(
          items.map((p) => ({
            product_id: p.id,
            product_name: p.name,
            product_code: p.code,
            product_price: p.price,
            is_active: p.active,
            category_type: p.categoryType,
            category_title: p.categoryTitle,
            category_subtitle: p.categorySubtitle,
          })),
        ),
      );
    };
    const body = req.catalogVersion === undefined ? await build() : await productLists.get(req.catalogVersion, `${roleCode}\u0000${categoryId ?? ''}`, build);
    return reply.type('application/json; charset=utf-8').send(body);
  };
  app.get('/v1/products', listProducts);
  app.post('/v1/products', listProducts);

  app.get('/v1/category', async () => {
    const categories = await k.catalog.listCategories();
    return success(
      categories.map((c) => ({
        category_id: c.id,
        category_type: c.type,
        category_title: c.title,
        category_subtitle: c.subtitle,
        category_banner: c.banner,
        category_photo: c.photo,
        category_slug: c.slug,
        is_active: c.is_active,
        is_server: c.is_server,
        is_popular: c.is_popular,
        is_hotsale: c.is_hotsale,
        category_order: c.sort_order,
      })),
    );
  });

  app.get('/v1/product', async (req) => {
    const code = param(req.query, 'product_code');
    const id = param(req.query, 'product_id');
    const filter = code !== undefined ? { productCode: code } : id !== undefined ? { productId: id } : null;
    if (!filter) throw new KiosError('PRODUCT_NOT_FOUND', 'give product_code or product_id');
    const [p] = await k.catalog.listProducts(me(req).roleCode, filter);
    if (!p) throw new KiosError('PRODUCT_NOT_FOUND');
    return success({
      product_id: p.id,
      product_name: p.name,
      product_code: p.code,
      product_logo: p.logo,
      product_price: p.price,
      is_active: p.active ? 1 : 0,
      category_type: p.categoryType,
      category_title: p.categoryTitle,
      category_subtitle: p.categorySubtitle,
    });
  });

  app.get<{ Params: { invoice_number: string } }>('/v1/status/:invoice_number', async (req) => {
    const order = await k.orders.findByInvoice(me(req).id, req.params.invoice_number);
    if (!order) throw new KiosError('INVOICE_NOT_FOUND');
    return success(invoiceView(order));
  });

  app.get<{ Params: { trx_id: string } }>('/v1/status/trx-id/:trx_id', async (req) => {
    const order = await k.orders.findByTrx(me(req).id, req.params.trx_id);
    if (!order) throw new KiosError('INVOICE_NOT_FOUND');
    return success(invoiceView(order));
  });

  for (const version of ['v1', 'v2'] as const) {
    app.post(`/${version}/order`, async (req, reply) => {
      const input = parseOrderInput(bodyObject(req.body));
      const result = await k.orders.place(me(req), input, {
        channel: 'api',
        onDuplicateTrx: version === 'v1' ? 'reject' : 'return-existing',
      });
      // As the collection shows: HTTP 201 for a new order, with statusCode 200 in the body.
      return reply.code(result.created ? 201 : 200).send(success(invoiceView(result.order)));
    });
  }
}

function success<T>(data: T) {
  return { statusCode: 200, message: 'success', data };
}

function me(req: FastifyRequest): AuthenticatedReseller {
  if (!req.reseller) throw new KiosError('API_KEY_NOT_FOUND');
  return req.reseller;
}

function userView(r: AuthenticatedReseller) {
  return {
    user_name: r.name,
    user_email: r.email,
    user_phone: r.phone,
    user_balance: r.balance,
    user_created_at: new Date(r.createdAt).toISOString(),
    user_updated_at: new Date(r.updatedAt).toISOString(),
    role_name: r.roleName,
    role_code: r.roleCode,
  };
}

/** `Authorization: <apikey>` as documented, or `Authorization: Bearer <apikey>`. */
export function apiKeyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim();
  return /^bearer\s+/i.test(h) ? h.replace(/^bearer\s+/i, '') : h;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new KiosError('BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A single string parameter; repeated or non-string values are treated as absent-but-wrong. */
function param(source: unknown, name: string): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const v = (source as Record<string, unknown>)[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KiosError('BAD_REQUEST', `${name} must be a single string`);
  if (v.length > 200) throw new KiosError('BAD_REQUEST', `${name} is too long`);
  // PostgreSQL refuses text containing NUL (an error, so a 500); no id or code has one.
  if (v.includes('\u0000')) throw new KiosError('BAD_REQUEST', `${name} contains a NUL character`);
  return v;
}
