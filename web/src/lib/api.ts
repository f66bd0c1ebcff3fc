/**
 * The one way pages talk to the dashboard API (`/api/<realm>/...`, see the brief's contract).
 * Paths are relative to the realm: `api.get('/orders')` is `GET /api/member/orders` in the member
 * app. Non-GET requests are JSON and carry the session's CSRF token; an error envelope becomes an
 * ApiError; a 401 UNAUTHENTICATED (session expired or logged out elsewhere) sends the user to the
 * realm's log-in page through the handler the app shell registers.
 */

export type Realm = 'member' | 'admin';

export interface Issue {
  path: string;
  message: string;
}

/** `{"error":{"code","message","issues"?}}` from the API, or NETWORK when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
}

let realm: Realm = 'member';
let csrfToken: string | null = null;
let unauthenticated: () => void = () => {};

export function configureApi(o: { realm: Realm; onUnauthenticated: () => void }): void {
  realm = o.realm;
  unauthenticated = o.onUnauthenticated;
}

export function getRealm(): Realm {
  return realm;
}

/** Set by session.ts whenever the session changes. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function apiUrl(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `/api/${realm}${path}${s ? `?${s}` : ''}`;
}

async function request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (method !== 'GET') {
    // The API refuses a state-changing request that is not JSON (CSRF rule), even an empty one.
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.body ?? {});
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, o.query), { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  const data: unknown = await res.json().catch(() => null);
  if (res.ok) return data as T;
  const e = (data as { error?: { code?: string; message?: string; issues?: Issue[] } } | null)?.error;
  const err = new ApiError(res.status, e?.code ?? 'SERVER_ERROR', e?.message ?? `HTTP ${res.status}`, e?.issues ?? []);
  if (err.code === 'UNAUTHENTICATED') unauthenticated();
  throw err;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, { body }),
};
