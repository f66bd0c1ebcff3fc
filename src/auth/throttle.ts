import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Log-in brute force: failed attempts are counted per account (a slow guesser from many
 * addresses) and per client IP (one address trying many accounts). Over either limit, an attempt
 * is refused before its password is hashed, so a flood costs no CPU. Counts live in Redis when
 * REDIS_URL is set (every api process sees them), otherwise in this process; a Redis outage
 * falls back to memory rather than locking everyone out.
 */
export const ACCOUNT_FAILURES = 5;
export const IP_FAILURES = 20;
const WINDOW_S = 15 * 60;

export class LoginThrottle {
  private readonly account: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;

  constructor(opts: { redis?: Redis; prefix?: string } = {}) {
    const make = (name: string, points: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ points, duration: WINDOW_S });
      if (!opts.redis) return memory;
      return new RateLimiterRedis({ storeClient: opts.redis, keyPrefix: `${opts.prefix ?? 'kios:'}login-${name}`, points, duration: WINDOW_S, insuranceLimiter: memory });
    };
    this.account = make('account', ACCOUNT_FAILURES);
    this.ip = make('ip', IP_FAILURES);
  }

  /** Whether an attempt for `account` (realm-qualified) from `ip` may go ahead. */
  async allowed(account: string, ip: string): Promise<boolean> {
    const [a, i] = await Promise.all([this.account.get(account).catch(() => null), this.ip.get(ip).catch(() => null)]);
    return (a?.consumedPoints ?? 0) < ACCOUNT_FAILURES && (i?.consumedPoints ?? 0) < IP_FAILURES;
  }

  async failed(account: string, ip: string): Promise<void> {
    await Promise.all([this.account.penalty(account, 1).catch(() => {}), this.ip.penalty(ip, 1).catch(() => {})]);
  }

  /** A successful log-in clears its account's count (not the address's: it may be shared). */
  async succeeded(account: string): Promise<void> {
    await this.account.delete(account).catch(() => {});
  }
}
