import { lookup as dnsLookup } from 'node:dns/promises';
import { KiosError } from '../domain/errors.js';
import { isPublicAddress, parseIp } from '../security/ip-whitelist.js';

/**
 * Which callback URLs kios will call (RULINGS section 1, "Callbacks"): absolute http(s), at most
 * 2,048 characters, and, unless the operator allows private targets, a host that neither is nor
 * resolves to a loopback, private, link-local or otherwise non-public address. The same check runs
 * again when connecting (see `safe-dispatcher.ts`), so DNS rebinding between the two gains nothing.
 */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export const MAX_CALLBACK_URL_LENGTH = 2048;
const DNS_TIMEOUT_MS = 2000;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 1000;

export class CallbackUrlPolicy {
  readonly #cache = new Map<string, { at: number; verdict: 'public' | 'private' | 'unresolved' }>();

  constructor(
    readonly allowPrivate: boolean,
    private readonly resolve: Resolve = systemResolve,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the parsed URL or throws INVALID_CALLBACK_URL saying why. */
  async validate(raw: string): Promise<URL> {
    if (raw.length > MAX_CALLBACK_URL_LENGTH) throw new KiosError('INVALID_CALLBACK_URL', `callback_url is longer than ${MAX_CALLBACK_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new KiosError('INVALID_CALLBACK_URL', 'callback_url is not an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new KiosError('INVALID_CALLBACK_URL', 'callback_url must use http or https');
    if (!url.hostname) throw new KiosError('INVALID_CALLBACK_URL', 'callback_url has no host');
    if (this.allowPrivate) return url;
    const verdict = await this.verdict(url.hostname);
    if (verdict === 'private') throw new KiosError('INVALID_CALLBACK_URL', 'callback_url points to a private or local network');
    // A host that does not resolve now does not fail the order: delivery retries on schedule.
    return url;
  }

  /** Whether a host (name or IP literal) is a public target; names are resolved (cached briefly). */
  async verdict(hostname: string): Promise<'public' | 'private' | 'unresolved'> {
    const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    if (parseIp(host)) return isPublicAddress(host) ? 'public' : 'private';
    const key = host.toLowerCase().replace(/\.$/, '');
    if (key === 'localhost' || key.endsWith('.localhost')) return 'private';
    const cached = this.#cache.get(key);
    if (cached && this.now() - cached.at < CACHE_TTL_MS) return cached.verdict;
    const verdict = await this.resolveVerdict(key);
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, { at: this.now(), verdict });
    return verdict;
  }

  private async resolveVerdict(host: string): Promise<'public' | 'private' | 'unresolved'> {
    let addresses: string[];
    try {
      addresses = await withTimeout(this.resolve(host), DNS_TIMEOUT_MS);
    } catch {
      return 'unresolved';
    }
    if (addresses.length === 0) return 'unresolved';
    // Every address must be public: one private answer is enough to refuse.
    return addresses.every(isPublicAddress) ? 'public' : 'private';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
