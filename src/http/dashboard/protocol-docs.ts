import { z } from 'zod';

/**
 * The OpenAPI description of the routes that are NOT dashboard routes: the Kiosgame-compatible
 * reseller API (src/http/routes/reseller-api.ts), the Otomax channel (routes/otomax.ts) and the
 * voucher-redeem API (routes/redeem-api.ts). Those routes must stay byte-identical to their
 * published protocols, so they carry no Fastify schema at all (a schema would validate and
 * serialize). These zod schemas only DOCUMENT them: openapi.ts merges the operations below into
 * the document through @fastify/swagger's `transformObject`, and nothing here runs on a request.
 * Shapes are taken from the routes and ../shared/spec (Kiosgame / Toss Games collections,
 * RULINGS sections 1 to 3); test/dashboard/openapi.test.ts checks real answers against them.
 */
const kiosgameError = z
  .object({
    statusCode: z.number().int(),
    message: z.string().describe('the error code, e.g. API_KEY_NOT_FOUND, INVOICE_NOT_FOUND, BAD_REQUEST'),
    error: z.string().describe('the HTTP reason phrase'),
    details: z.string().optional(),
  });

const success = <T extends z.ZodType>(data: T) => z.object({ statusCode: z.literal(200), message: z.literal('success'), data });

const user = z.object({
  user_name: z.string(),
  user_email: z.string(),
  user_phone: z.string().nullable(),
  user_balance: z.number().int(),
  user_created_at: z.string(),
  user_updated_at: z.string(),
  role_name: z.string(),
  role_code: z.string(),
});

const productItem = z.object({
  product_id: z.string(),
  product_name: z.string(),
  product_code: z.string(),
  product_price: z.number().int().nullable(),
  is_active: z.boolean(),
  category_type: z.string(),
  category_title: z.string(),
  category_subtitle: z.string().nullable(),
});

const category = z.object({
  category_id: z.string(),
  category_type: z.string(),
  category_title: z.string(),
  category_subtitle: z.string().nullable(),
  category_banner: z.string().nullable(),
  category_photo: z.string().nullable(),
  category_slug: z.string(),
  is_active: z.number().int(),
  is_server: z.number().int(),
  is_popular: z.number().int(),
  is_hotsale: z.number().int(),
  category_order: z.number().int(),
});

const product = z.object({
  product_id: z.string(),
  product_name: z.string(),
  product_code: z.string(),
  product_logo: z.string().nullable(),
  product_price: z.number().int(),
  is_active: z.union([z.literal(0), z.literal(1)]),
  category_type: z.string(),
  category_title: z.string(),
  category_subtitle: z.string().nullable(),
});

const invoice = z
  .object({
    invoice_number: z.string(),
    trx_id: z.string().nullable(),
    response_note: z.string(),
    category: z.object({ title: z.string(), subtitle: z.string().nullable(), type: z.string() }),
    product: z.object({ name: z.string(), code: z.string(), price: z.number().int() }),
    user_input: z.object({ user_id: z.string(), server_id: z.string().nullable(), nickname: z.string().nullable() }),
    amount: z.number().int(),
    status: z.string().describe('PENDING, SUCCESS, FAILED, PARTIAL_SUCCESS or REFUNDED'),
    voucher: z.string().nullable(),
    created_at: z.string(),
  });

const orderBody = z.object({
  product_code: z.string(),
  user_id: z.string(),
  server_id: z.string().optional(),
  trx_id: z.string().optional().describe('your reference; v1 refuses a reused one (DUPLICATE_TRX_ID), v2 answers the existing order'),
  callback_url: z.string().optional(),
});

const redeemError = z.object({ status: z.literal(0), rc: z.number().int(), error_msg: z.string() });
const redeemOk = (data: z.ZodType) => z.object({ status: z.literal(1), rc: z.literal(200), message: z.string(), data, ts: z.number().int() });
const stats = z.record(z.string(), z.number().int());

type Op = {
  method: 'get' | 'post';
  path: string;
  tag: string;
  summary: string;
  security: 'apiKey' | 'otomaxKey' | 'signature';
  query?: Record<string, z.ZodType>;
  body?: z.ZodType;
  responses: Record<number, { description: string; json?: z.ZodType; text?: true }>;
};

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: 'refused (see `message`)', json: kiosgameError }]));
const AUTH = errors(403, 404, 429, 500);

export const PROTOCOL_OPERATIONS: Op[] = [
  { method: 'get', path: '/v1/user', tag: 'reseller API', summary: 'The caller: balance and tier', security: 'apiKey', responses: { 200: { description: 'the account', json: success(user) }, ...AUTH } },
  {
    method: 'get',
    path: '/v1/products',
    tag: 'reseller API',
    summary: 'Products with the caller\'s prices',
    security: 'apiKey',
    query: { category_id: z.string().optional() },
    responses: { 200: { description: 'products', json: success(z.array(productItem)) }, ...AUTH },
  },
  {
    method: 'post',
    path: '/v1/products',
    tag: 'reseller API',
    summary: 'Products with the caller\'s prices (category_id in the body)',
    security: 'apiKey',
    body: z.object({ category_id: z.string().optional() }),
    responses: { 200: { description: 'products', json: success(z.array(productItem)) }, ...errors(400, 403, 404, 413, 415, 429, 500) },
  },
  { method: 'get', path: '/v1/category', tag: 'reseller API', summary: 'Categories (games)', security: 'apiKey', responses: { 200: { description: 'categories', json: success(z.array(category)) }, ...AUTH } },
  {
    method: 'get',
    path: '/v1/product',
    tag: 'reseller API',
    summary: 'One product by product_code or product_id',
    security: 'apiKey',
    query: { product_code: z.string().optional(), product_id: z.string().optional() },
    responses: { 200: { description: 'the product', json: success(product) }, ...AUTH },
  },
  {
    method: 'get',
    path: '/v1/status/{invoice_number}',
    tag: 'reseller API',
    summary: 'An order by kios\'s invoice number',
    security: 'apiKey',
    responses: { 200: { description: 'the order', json: success(invoice) }, ...AUTH },
  },
  {
    method: 'get',
    path: '/v1/status/trx-id/{trx_id}',
    tag: 'reseller API',
    summary: 'An order by the caller\'s trx_id',
    security: 'apiKey',
    responses: { 200: { description: 'the order', json: success(invoice) }, ...AUTH },
  },
  ...(['v1', 'v2'] as const).map(
    (v): Op => ({
      method: 'post',
      path: `/${v}/order`,
      tag: 'reseller API',
      summary: v === 'v1' ? 'Place an order (a reused trx_id is refused)' : 'Place an order (a reused trx_id answers the existing order, 200)',
      security: 'apiKey',
      body: orderBody,
      responses: { 200: { description: 'the existing order (v2, same trx_id)', json: success(invoice) }, 201: { description: 'a new order', json: success(invoice) }, ...errors(400, 403, 404, 409, 413, 415, 429, 500, 503) },
    }),
  ),
  ...(['v1', 'v2', 'v3'] as const).map(
    (v): Op => ({
      method: 'get',
      path: `/${v}/otomax/order`,
      tag: 'Otomax channel',
      summary: `Place an order, answered with one text line (${v}: ${v === 'v1' ? 'user_id and server_id apart' : v === 'v2' ? 'one destination' : 'one destination; a reused trx_id answers its status'})`,
      security: 'otomaxKey',
      query: { product_code: z.string().optional(), trx_id: z.string().optional(), user_id: z.string().optional(), server_id: z.string().optional(), dest: z.string().optional() },
      responses: { 200: { description: 'always 200: the created, status or error line (RULINGS section 2)', text: true } },
    }),
  ),
  {
    method: 'get',
    path: '/v1/otomax/status/{invoice_number}',
    tag: 'Otomax channel',
    summary: 'An order\'s status line',
    security: 'otomaxKey',
    responses: { 200: { description: 'the status line, or the error code', text: true } },
  },
  { method: 'get', path: '/v1/otomax/user', tag: 'Otomax channel', summary: 'The caller\'s balance line', security: 'otomaxKey', responses: { 200: { description: 'the user line', text: true } } },
  {
    method: 'post',
    path: '/merchant/{merchant_id}/kiosgamer/redem/bulk',
    tag: 'voucher redeem (APIGames shape)',
    summary: 'Submit a project of voucher codes (base64 of the codes, one a line)',
    security: 'signature',
    body: z.object({ kode_voucher: z.string(), session_key: z.string().optional(), signature: z.string().describe('md5(merchant_id + secret_key)') }),
    responses: {
      200: { description: 'the project, or a refusal (`status: 0`; `rc` says why)', json: z.union([redeemOk(z.object({ id: z.number().int(), merchant_id: z.string(), project_id: z.string(), total_voucher: z.number().int(), stats })), redeemError]) },
      413: { description: 'body too large', json: redeemError },
      429: { description: 'rate limit', json: redeemError },
      500: { description: 'server error', json: redeemError },
    },
  },
  {
    method: 'post',
    path: '/merchant/{merchant_id}/kiosgamer/project/detail',
    tag: 'voucher redeem (APIGames shape)',
    summary: 'A page of a project\'s vouchers',
    security: 'signature',
    body: z.object({ projectid: z.string(), status: z.string().optional(), page: z.number().int().optional(), limit: z.number().int().optional(), signature: z.string() }),
    responses: {
      200: { description: 'the page, or a refusal (`status: 0`)', json: z.union([redeemOk(z.object({ current_page: z.number().int(), data: z.object({}).loose(), total_data: z.number().int(), total_page: z.number().int() })), redeemError]) },
      413: { description: 'body too large', json: redeemError },
      429: { description: 'rate limit', json: redeemError },
      500: { description: 'server error', json: redeemError },
    },
  },
];

export const PROTOCOL_SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'the reseller\'s API key (also `Bearer <key>`)' },
  otomaxKey: { type: 'apiKey', in: 'query', name: 'apikey', description: 'the reseller\'s API key' },
} as const;

/** OpenAPI path items of the protocol routes, as JSON Schema 2020-12 (OpenAPI 3.1's dialect). */
export function protocolPaths(): Record<string, Record<string, unknown>> {
  const json = (s: z.ZodType) => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of PROTOCOL_OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const [name, s] of Object.entries(op.query ?? {})) params.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: json(s) as { type: string } });
    const responses = Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        { description: r.description, content: r.text ? { 'text/plain': { schema: { type: 'string' } } } : { 'application/json': { schema: json(r.json!) } } },
      ]),
    );
    (paths[op.path] ??= {})[op.method] = {
      tags: [op.tag],
      summary: op.summary,
      // The redeem API signs the body (md5(merchant_id + API key)) instead of sending a credential.
      security: op.security === 'signature' ? [] : [{ [op.security]: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(op.body) } } } } : {}),
      responses,
    };
  }
  return paths;
}
