import { request, type Dispatcher } from 'undici';
import type { CallContext } from '../types.js';

/**
 * The one way connectors talk HTTP to a supplier: a hard time limit, a bounded response read,
 * and every exchange recorded in the call context with the account's secrets masked. It never
 * throws for a network fault: "no answer" is a value the connector must map (to pending, unless
 * the request provably never left), because a request that timed out may have been executed.
 */

export interface HttpCall {
  method: 'GET' | 'POST';
  /** Appended to the base URL (which may itself carry a path, e.g. `.../v1`). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  /** Largest response body read (catalogs are big); default 1 MiB. */
  maxBytes?: number;
}

export type HttpAnswer =
  | { kind: 'answered'; status: number; text: string; json: unknown }
  | { kind: 'no_answer'; error: string };

const RECORDED_CHARS = 2000;

export class SupplierHttp {
  readonly #secrets: string[];

  constructor(
    private readonly o: { baseUrl: string; timeoutMs: number; dispatcher: Dispatcher; secrets: readonly string[]; userAgent?: string },
  ) {
    // Longest first, so a secret containing another is masked whole; URL-encoded forms too.
    const forms = o.secrets.filter((s) => s.length >= 4).flatMap((s) => [s, encodeURIComponent(s)]);
    this.#secrets = [...new Set(forms)].sort((a, b) => b.length - a.length);
  }

  /** Replaces every secret of this account in `text` by `***`. */
  mask(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('***');
    return out;
  }

  url(path: string, query?: Record<string, string>): string {
    const base = this.o.baseUrl.replace(/\/+$/, '');
    const qs = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    return `${base}${path}${qs}`;
  }

  async send(call: CallContext, req: HttpCall): Promise<HttpAnswer> {
    await call.pace?.();
    const url = this.url(req.path, req.query);
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
    const started = performance.now();
    const headers: Record<string, string> = { 'user-agent': this.o.userAgent ?? 'kios/1', accept: 'application/json', ...(req.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const record = (r: { status?: number; response?: string; error?: string }) =>
      call.exchanges.push({
        method: req.method,
        url: this.mask(url),
        ...(body !== undefined ? { request: this.mask(body).slice(0, RECORDED_CHARS) } : {}),
        ...(r.status !== undefined ? { status: r.status } : {}),
        ...(r.response !== undefined ? { response: this.mask(r.response).slice(0, RECORDED_CHARS) } : {}),
        ...(r.error !== undefined ? { error: this.mask(r.error).slice(0, 300) } : {}),
        ms: Math.round(performance.now() - started),
      });
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body,
        dispatcher: this.o.dispatcher,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const text = await readLimited(res.body, req.maxBytes ?? 1024 * 1024);
      let json: unknown;
      try {
        json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch {
        json = undefined;
      }
      record({ status: res.statusCode, response: text });
      return { kind: 'answered', status: res.statusCode, text, json };
    } catch (err) {
      const e = err as Error & { code?: string; cause?: Error & { code?: string } };
      const error = describeError(e);
      record({ error });
      return { kind: 'no_answer', error };
    }
  }
}

async function readLimited(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) {
      body.destroy();
      throw Object.assign(new Error(`response larger than ${maxBytes} bytes`), { code: 'KIOS_RESPONSE_TOO_LARGE' });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeError(e: Error & { code?: string; cause?: Error & { code?: string } }): string {
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message;
  return code ? `${code}: ${message}` : message;
}
