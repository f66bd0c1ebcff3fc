import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { KiosError } from '../domain/errors.js';

/**
 * Request limits of one API process. Without REDIS_URL each process counts on its own (N api
 * processes allow N times the limit); with it, every process counts in the same Redis, so a
 * reseller's limit holds however many processes serve it. A Redis outage never stops the API:
 * the per-request limit is skipped and the unknown-key guard falls back to this process's memory.
 */
export interface HttpLimits {
  /** Options for @fastify/rate-limit's store. */
  store: { redis?: Redis; nameSpace?: string; skipOnError?: boolean };
  unknownKeys: UnknownKeyGuard;
  close(): Promise<void>;
}

export function createHttpLimits(config: Config, log: Logger): HttpLimits {
  const duration = Math.max(1, Math.round(config.rateLimitWindowMs / 1000));
  const points = config.authFailureLimit;
  if (!config.redisUrl) {
    return { store: {}, unknownKeys: new UnknownKeyGuard(new RateLimiterMemory({ points, duration }), points), close: async () => {} };
  }
  const redis = new Redis(config.redisUrl, { connectTimeout: 1_000, maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis unreachable: rate limits are per process until it is back'));
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${config.redisPrefix}unknown-key`,
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ points, duration }),
  });
  return {
    store: { redis, nameSpace: `${config.redisPrefix}rate-`, skipOnError: true },
    unknownKeys: new UnknownKeyGuard(limiter, points),
    close: async () => {
      redis.disconnect();
    },
  };
}

/**
 * Requests with unknown API keys, counted per client IP. An address over the limit is refused
 * before its key is even looked up, so a flood of made-up keys costs no database work (and
 * cannot find a valid key by guessing at speed).
 */
export class UnknownKeyGuard {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly points: number,
  ) {}

  async check(ip: string): Promise<void> {
    const r = await this.limiter.get(ip).catch(() => null);
    if (r && r.consumedPoints >= this.points) throw new KiosError('TOO_MANY_REQUESTS', 'too many requests with unknown API keys from this address: wait and check the key');
  }

  async failed(ip: string): Promise<void> {
    await this.limiter.penalty(ip, 1).catch(() => {});
  }
}

/** Looks a caller up behind the guard: a blocked address never reaches `authenticate`. */
export async function guarded<T>(guard: UnknownKeyGuard, ip: string, authenticate: () => Promise<T>): Promise<T> {
  await guard.check(ip);
  try {
    return await authenticate();
  } catch (err) {
    if (err instanceof KiosError && err.code === 'API_KEY_NOT_FOUND') await guard.failed(ip);
    throw err;
  }
}
