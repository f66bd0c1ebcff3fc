import { readFileSync } from 'node:fs';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { HttpResult } from './kios.js';

/**
 * Helpers for the reseller JSON API suites (test/api): the published Kiosgame collection as data,
 * recursive shape comparison, and the checks every error response must pass. The expectations
 * here come from the documents (RULINGS section 1) and from Node's own table of reason phrases,
 * never from the code under test.
 */

export const COLLECTION_PATH = fileURLToPath(new URL('../fixtures/spec/kiosgame-indonesia.postman_collection.json', import.meta.url));

/** The error codes of RULINGS section 1 and their HTTP statuses, plus kios' own additions for requests the documents never describe. */
export const SPEC_ERROR_STATUS: Record<string, number> = {
  API_KEY_NOT_FOUND: 404,
  INVOICE_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  NICKNAME_NOT_FOUND: 404,
  IP_NOT_WHITELISTED: 403,
  DUPLICATE_TRX_ID: 409,
  INSUFFICIENT_BALANCE: 400,
  INVALID_USER_ID: 400,
  PRODUCT_INACTIVE: 400,
  INVALID_CALLBACK_URL: 400,
  PAYMENT_METHOD_NOT_ALLOWED: 400,
  BAD_REQUEST: 400,
  TOO_MANY_REQUESTS: 429,
  SERVER_ERROR: 500,
};
export const KIOS_EXTRA_ERROR_STATUS: Record<string, number> = {
  ROUTE_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Fields RULINGS allows to be a string where an example shows null. */
const NULLABLE_STRING_KEYS = ['trx_id', 'subtitle', 'server_id', 'nickname', 'voucher', 'banner', 'photo', 'logo', 'phone'];
export function nullableStringKey(key: string): boolean {
  return NULLABLE_STRING_KEYS.some((k) => key === k || key.endsWith(`_${k}`));
}

/** Removes `// ...` comments outside strings (the collection's bodies have them after `status`). */
export function stripJsonComments(src: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += src[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** The values listed in a `// A | B | C` comment after a field, e.g. the statuses after `"status"`. */
export function commentAlternatives(src: string, field: string): string[] | null {
  const m = new RegExp(`"${field}"\\s*:[^\\n]*//([^\\n]*)`).exec(src);
  return m ? m[1]!.split('|').map((s) => s.trim()).filter(Boolean) : null;
}

export interface CollectionExample {
  /** `<request name> / <example name>`. */
  label: string;
  requestName: string;
  method: string;
  /** The path with Postman `:variables` left in, e.g. `/v1/status/:invoice_number`. */
  pathTemplate: string;
  variables: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  requestBody: Record<string, unknown> | undefined;
  status: number;
  contentType: string | undefined;
  rawBody: string;
  body: any;
}

interface PostmanUrl {
  raw?: string;
  variable?: Array<{ key: string; value: string }>;
}

function urlParts(url: string | PostmanUrl): { path: string; query: Array<[string, string]>; variables: Record<string, string> } {
  const raw = typeof url === 'string' ? url : (url.raw ?? '');
  // RULINGS: the collection's "Get category" URL lacks a slash (`...comv1/category`).
  const fixed = raw.replace(/\.com(?=v\d\/)/, '.com/');
  const noHost = fixed.replace(/^https?:\/\/[^/]+/, '');
  const [path, qs] = noHost.split('?', 2) as [string, string | undefined];
  const query = qs === undefined ? [] : [...new URLSearchParams(qs).entries()];
  const variables = Object.fromEntries((typeof url === 'string' ? [] : (url.variable ?? [])).map((v) => [v.key, v.value]));
  return { path, query, variables };
}

/** Every example response of the collection whose Content-Type is JSON: the reseller JSON API. */
export function jsonApiExamples(): CollectionExample[] {
  const collection = JSON.parse(readFileSync(COLLECTION_PATH, 'utf8'));
  const out: CollectionExample[] = [];
  const walk = (items: any[]) => {
    for (const item of items) {
      if (Array.isArray(item.item)) walk(item.item);
      for (const ex of item.response ?? []) {
        const contentType = (ex.header ?? []).find((h: any) => String(h.key).toLowerCase() === 'content-type')?.value as string | undefined;
        if (!contentType || !contentType.startsWith('application/json')) continue;
        const req = ex.originalRequest ?? item.request;
        const { path, query: exampleQuery, variables } = urlParts(req.url);
        // "Get products by category": the example's request lost the query its item has.
        const query = exampleQuery.length > 0 ? exampleQuery : urlParts(item.request.url).query;
        const headers = Object.fromEntries((req.header ?? []).map((h: any) => [String(h.key).toLowerCase(), String(h.value)]));
        const rawReqBody: string | undefined = req.body?.mode === 'raw' ? req.body.raw : undefined;
        // The method of the item the example documents (the POST "Get products" example's own
        // request says GET, copied from the GET item).
        const method = String(item.request?.method ?? req.method);
        out.push({
          label: `${item.name} (${method}) / ${ex.name}`,
          requestName: item.name,
          method,
          pathTemplate: path,
          variables,
          query,
          headers,
          requestBody: rawReqBody === undefined ? undefined : JSON.parse(stripJsonComments(rawReqBody)),
          status: Number(ex.code),
          contentType,
          rawBody: ex.body,
          body: JSON.parse(stripJsonComments(ex.body)),
        });
      }
    }
  };
  walk(collection.item);
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * Same keys in the same order and the same JSON types, recursively. Where the example has null,
 * ours may be a string if RULINGS says that field is "string or null". Arrays: every item of ours
 * against the example's first item (and ours must not be empty when the example is not).
 */
export function expectSameShape(ours: unknown, example: unknown, path = '$'): void {
  const key = path.split('.').pop()!.replace(/\[\d+\]$/, '');
  if (example === null) {
    if (nullableStringKey(key)) expect(['null', 'string'], `${path}: null or string`).toContain(jsonType(ours));
    else expect(ours, `${path}: null as in the example`).toBeNull();
    return;
  }
  // RULINGS: these fields are "string or null" whatever the example shows.
  if (ours === null && typeof example === 'string' && nullableStringKey(key)) return;
  expect(jsonType(ours), `${path}: JSON type`).toBe(jsonType(example));
  if (Array.isArray(example)) {
    const arr = ours as unknown[];
    if (example.length > 0) {
      expect(arr.length, `${path}: not empty`).toBeGreaterThan(0);
      arr.forEach((item, i) => expectSameShape(item, example[0], `${path}[${i}]`));
    }
    return;
  }
  if (typeof example === 'object') {
    const o = ours as Record<string, unknown>;
    const e = example as Record<string, unknown>;
    expect(Object.keys(o), `${path}: keys in order`).toEqual(Object.keys(e));
    for (const k of Object.keys(e)) expectSameShape(o[k], e[k], `${path}.${k}`);
  }
}

/**
 * Ours equals the example value for value, except at the listed paths (checked elsewhere) and
 * where the example has null for a field RULINGS lets be a string.
 */
export function expectSameValues(ours: unknown, example: unknown, except: ReadonlySet<string> = new Set(), path = '$'): void {
  if (except.has(path)) return;
  const key = path.split('.').pop()!;
  if (example === null && nullableStringKey(key)) return;
  if (example !== null && typeof example === 'object' && !Array.isArray(example)) {
    expect(jsonType(ours), path).toBe('object');
    for (const [k, v] of Object.entries(example)) expectSameValues((ours as Record<string, unknown>)[k], v, except, `${path}.${k}`);
    return;
  }
  expect(ours, path).toEqual(example);
}

/** A stack trace, or the internals one would reveal. */
const TRACE = [/\n\s+at\s/, /\bat\s+[^\s]+\s+\(?[^\s)]*:\d+:\d+\)?/, /"stack"\s*:/, /node_modules/, /\/src\/[\w/-]+\.[jt]s/, /\bError:/];

export function expectNoTrace(text: string, label = ''): void {
  for (const re of TRACE) expect(re.test(text), `${label} leaks ${re}: ${text.slice(0, 300)}`).toBe(false);
}

/**
 * `{"statusCode":N,"message":"CODE","error":"<reason phrase>"}` exactly, optionally followed by a
 * `details` string and nothing else; JSON content type; no trace.
 */
export function expectErrorEnvelope(res: HttpResult, status: number, code: string, label = ''): void {
  const ctx = `${label} ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, ctx).toBe(status);
  expect(res.headers.get('content-type'), ctx).toBe(JSON_CONTENT_TYPE);
  expect(res.json, ctx).toBeTypeOf('object');
  const body = res.json as Record<string, unknown>;
  const keys = Object.keys(body);
  expect(keys.slice(0, 3), ctx).toEqual(['statusCode', 'message', 'error']);
  expect({ statusCode: body.statusCode, message: body.message, error: body.error }, ctx).toEqual({ statusCode: status, message: code, error: STATUS_CODES[status] });
  expect(keys.slice(3).every((k) => k === 'details'), ctx).toBe(true);
  if ('details' in body) expect(body.details, ctx).toBeTypeOf('string');
  expectNoTrace(res.text, label);
}

/** Any 4xx in our envelope with a code of the table whose status matches. Returns the code. */
export function expectClientErrorEnvelope(res: HttpResult, label = ''): string {
  const ctx = `${label} ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, ctx).toBeGreaterThanOrEqual(400);
  expect(res.status, ctx).toBeLessThan(500);
  const code = (res.json as { message?: unknown } | undefined)?.message;
  expect(code, ctx).toBeTypeOf('string');
  const table = { ...SPEC_ERROR_STATUS, ...KIOS_EXTRA_ERROR_STATUS };
  expect(table[code as string], ctx).toBe(res.status);
  expectErrorEnvelope(res, res.status, code as string, label);
  return code as string;
}

/** `2023-03-22T23:38:05.000Z`: ISO 8601 in UTC with milliseconds. */
export const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A request through node:http, which (unlike fetch) sends exactly the headers given: no
 * Content-Type unless asked for. The body is sent as is.
 */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<HttpResult> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        method,
        path,
        // Chunked when asked for (no length), else the exact length of the body.
        headers: body === undefined || 'transfer-encoding' in headers ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
