import type { TestKios } from './kios.js';
import { CLI_ACTOR } from '../../src/audit/log.js';

/**
 * A browser of one dashboard realm: keeps the session cookie it is given, sends JSON, and echoes
 * the session's CSRF token on writes (unless told not to). Suites use it to act as a logged-in
 * reseller or operator.
 */
export class DashboardClient {
  cookie: string | null = null;
  csrf: string | null = null;
  lastSetCookie: string[] = [];

  constructor(
    readonly t: TestKios,
    readonly realm: 'member' | 'admin',
  ) {}

  async call<T = any>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; csrf?: boolean; contentType?: string | null } = {}) {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (this.cookie) headers.cookie = this.cookie;
    const write = method !== 'GET' && method !== 'HEAD';
    if (write && o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/json';
    if (write && o.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.t.url}${path}`, { method, headers, body: write ? JSON.stringify(o.body ?? {}) : undefined });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const c of this.lastSetCookie) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name !== `kios_${this.realm}`) continue;
      this.cookie = value ? `${name}=${value}` : null;
    }
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status === 200 && json?.session?.csrfToken) this.csrf = json.session.csrfToken;
    return { status: res.status, headers: res.headers, text, json: json as T };
  }

  get(path: string) {
    return this.call('GET', path);
  }

  post(path: string, body: unknown = {}, o: { headers?: Record<string, string>; csrf?: boolean; contentType?: string | null } = {}) {
    return this.call('POST', path, { body, ...o });
  }
}

export const PASSWORD = 'correct horse battery staple';

/** The token of a set-up link (`...#token=<t>`). */
export function linkToken(url: string): string {
  const m = /#token=([\w-]+)$/.exec(url);
  if (!m) throw new Error(`not a set-up link: ${url}`);
  return m[1]!;
}

/** A reseller logged in to /member (its password set through an invite link). */
export async function memberSession(t: TestKios, resellerId: string, password = PASSWORD): Promise<DashboardClient> {
  const { url } = await t.kios.members.invite(resellerId, CLI_ACTOR);
  const c = new DashboardClient(t, 'member');
  const r = await c.post('/api/member/auth/setup', { token: linkToken(url), password });
  if (r.status !== 200) throw new Error(`member setup failed: ${r.status} ${r.text}`);
  return c;
}

let n = 0;
/** A new operator logged in to /admin. */
export async function operatorSession(t: TestKios, role: 'owner' | 'staff' = 'owner', password = PASSWORD): Promise<DashboardClient & { email: string; id: string }> {
  const email = `op${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { operator, setupUrl } = await t.kios.operators.create({ email, role }, CLI_ACTOR);
  const c = new DashboardClient(t, 'admin');
  const r = await c.post('/api/admin/auth/setup', { token: linkToken(setupUrl), password });
  if (r.status !== 200) throw new Error(`operator setup failed: ${r.status} ${r.text}`);
  return Object.assign(c, { email, id: operator.id });
}
