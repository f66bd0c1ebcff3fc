import { z } from 'zod';
import { passwordSchema } from '../../auth/passwords.js';

/**
 * Shapes shared by every dashboard route (the contract in the dashboards' brief). Routes declare
 * their error answers with `errors(...)`, so the OpenAPI document lists them and the walker test
 * checks them.
 */
export const errorCodeSchema = z.enum([
  'VALIDATION',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'TOTP_REQUIRED',
  'FORBIDDEN',
  'CSRF',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'SERVER_ERROR',
]);
export type DashboardErrorCode = z.infer<typeof errorCodeSchema>;

export const errorSchema = z
  .object({
    error: z.object({
      code: errorCodeSchema,
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429;

/** `{400: Error, 401: Error, ...}` for a route's `response`; 500 is added to every route. */
export function errors<S extends ErrorStatus>(...statuses: S[]): Record<S | 500, typeof errorSchema> {
  return Object.fromEntries([...statuses, 500].map((s) => [s, errorSchema])) as Record<S | 500, typeof errorSchema>;
}

/** What every route behind a session can answer besides its own errors. */
export const SESSION_ERRORS = [401, 403] as const;
/** ...and a state-changing one: bad body (400), no session (401), missing CSRF token or JSON (403). */
export const WRITE_ERRORS = [400, 401, 403] as const;

export const okSchema = z.object({ ok: z.literal(true) });

export const emailSchema = z.string().trim().toLowerCase().max(200).pipe(z.email('email is not a valid address'));

/** `?cursor=&limit=`: keyset pages (see src/orders/admin.ts for the cursor style). */
export const pageQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const memberSessionSchema = z
  .object({
    csrfToken: z.string(),
    timeZone: z.string(),
    reseller: z.object({
      id: z.string(),
      name: z.string(),
      email: z.string(),
      tier: z.object({ code: z.string(), name: z.string() }),
      balance: z.number().int(),
    }),
  })
  .meta({ id: 'MemberSession' });

export const operatorSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.enum(['owner', 'staff']),
    totpEnabled: z.boolean(),
  })
  .meta({ id: 'Operator' });

export const adminSessionSchema = z
  .object({
    csrfToken: z.string(),
    timeZone: z.string(),
    operator: operatorSchema,
  })
  .meta({ id: 'AdminSession' });

/** Both realms' set-up: the token from the link's fragment and the chosen password. */
export const setupBody = z.object({ token: z.string().min(1).max(200), password: passwordSchema });

/** A logged-in account's new password; the current one proves it is still its owner at the keyboard. */
export const passwordChangeBody = z.object({ current: z.string().min(1).max(200), next: passwordSchema });

/** One of the operator's bank accounts resellers transfer deposits to (both realms show it). */
export const bankAccountSchema = z.object({ code: z.string(), bank: z.string(), number: z.string(), holder: z.string() }).meta({ id: 'BankAccount' });
