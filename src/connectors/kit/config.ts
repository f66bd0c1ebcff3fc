import { z } from 'zod';
import type { RateLimit } from '../types.js';

/** Configuration pieces every connector shares, so every kind reads them the same way. */

/** `base_url`: the supplier's production host by default, so a sandbox or a fake stands in by configuration alone. */
export function baseUrl(production: string) {
  return z
    .string()
    .trim()
    .max(500)
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, 'must be an http(s) URL without credentials, query or fragment')
    .default(production);
}

/**
 * A callback URL kios gives the supplier with each purchase; `false` means "never send one" (the
 * operator registered it in the supplier's dashboard instead); absent means kios's own, when
 * PUBLIC_URL is set.
 */
export const callbackUrl = z.union([
  z
    .string()
    .trim()
    .max(2048)
    .refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'must be an http(s) URL, or false'),
  z.literal(false),
]);

/** The callback URL a connector sends: configured, none (`false`), or kios's own. */
export function chosenCallbackUrl(configured: string | false | undefined, own: string | null): string | null {
  if (configured === undefined) return own;
  return configured === false ? null : configured;
}

/** A required text setting; its messages never quote the value (it may be a credential). */
export const required = (what: string, max = 500) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .trim()
    .min(1, `${what} is required`)
    .max(max, `${what} is too long`);

/** A credential (list it in the factory's `secretKeys` too). */
export const secret = (what: string) => required(what);

/** `rate_limit`: `{"requests": 200, "per_seconds": 60}`, overriding what the connector declares. */
export const rateLimit = z
  .object({
    requests: z.number().int().min(1).max(1_000_000),
    per_seconds: z.number().positive().max(86_400),
  })
  .strict();

export function toRateLimit(configured: z.infer<typeof rateLimit> | undefined, declared: RateLimit | null): RateLimit | null {
  if (!configured) return declared;
  return { requests: configured.requests, perMs: Math.round(configured.per_seconds * 1000) };
}

/**
 * `balance_alert`: the operator is warned (log, alert webhook) when this account's balance at the
 * supplier falls below it. Every kind accepts it; kinds without a balance call ignore it.
 */
export const balanceAlert = z.number().int().min(0).max(1_000_000_000_000);
