import { z } from 'zod';
import { inputFormSchema } from '../domain/input-form.js';
import { MAX_RUPIAH } from '../domain/money.js';

/**
 * The catalog file read by `kios catalog import` and written by `kios catalog export`
 * (README, "Catalog file"). Everything is validated before anything is written.
 */

const optionalUrl = z
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
  }, 'must be an http(s) URL')
  .nullable()
  .default(null);

export const tierSchema = z
  .object({
    code: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'tier code: lowercase letters, digits, - or _, at most 32'),
    name: z.string().trim().min(1).max(64),
    order: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export const supplierSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'supplier id: lowercase letters, digits, - or _, at most 64'),
    kind: z.string().min(1).max(32),
    name: z.string().trim().min(1).max(100),
    active: z.boolean().default(true),
    /** Connector options; omitted on export (they hold credentials) and kept on re-import. */
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const routeSchema = z
  .object({
    supplier: z.string().min(1).max(64),
    sku: z.string().trim().min(1).max(100),
    /** The supplier's price to kios, for margins (whole rupiah); omitted when unknown. */
    cost: z.number().int('costs are whole rupiah').min(0).max(MAX_RUPIAH).nullable().optional(),
    active: z.boolean().default(true),
  })
  .strict();

export const productSchema = z
  .object({
    id: z.uuid().optional(),
    code: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'product code: letters, digits, _ . or -, at most 64'),
    name: z.string().trim().min(1).max(150),
    logo: optionalUrl,
    active: z.boolean().default(true),
    order: z.number().int().min(0).max(1_000_000).default(0),
    prices: z
      .record(z.string(), z.number().int('prices are whole rupiah').min(0).max(MAX_RUPIAH))
      .refine((p) => Object.keys(p).length > 0, 'at least one tier price is required'),
    routes: z.array(routeSchema).min(1, 'at least one supplier route is required').max(10),
    /** The buyer's inputs for this product, when they differ from its category's form. */
    form: inputFormSchema.optional(),
  })
  .strict();

export const categorySchema = z
  .object({
    id: z.uuid().optional(),
    code: z.string().regex(/^[A-Z0-9]{1,10}$/, 'category code (used in invoice numbers): uppercase letters and digits, at most 10'),
    type: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'category type: lowercase, e.g. game, voucher, e-wallet'),
    title: z.string().trim().min(1).max(100),
    subtitle: z.string().trim().max(100).nullable().default(null),
    slug: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'slug: lowercase words joined by -').max(100),
    photo: optionalUrl,
    banner: optionalUrl,
    active: z.boolean().default(true),
    popular: z.boolean().default(false),
    hotsale: z.boolean().default(false),
    order: z.number().int().min(0).max(1_000_000).default(0),
    server: z
      .object({
        /** Orders need a server/zone id (`is_server`). */
        required: z.boolean(),
        /**
         * How to split a destination typed as one string (Otomax v2/v3): a regular expression with
         * named groups `user` and `server`, e.g. `^(?<user>\d+)(?<server>\d{4})$`.
         */
        split: z.string().max(200).nullable().default(null),
      })
      .strict()
      .default({ required: false, split: null }),
    /** Run the supplier's account (nickname) check before charging. Defaults to true for games. */
    check_account: z.boolean().optional(),
    /**
     * The inputs a buyer gives (VCGamers-style: key, type text/numeric/option, alias, options):
     * the first field is the reseller API's user_id, the second its server_id.
     */
    form: inputFormSchema.optional(),
    products: z.array(productSchema).default([]),
  })
  .strict();

export const catalogFileSchema = z
  .object({
    tiers: z.array(tierSchema).default([]),
    suppliers: z.array(supplierSchema).default([]),
    categories: z.array(categorySchema).default([]),
  })
  .strict();

export type CatalogFile = z.input<typeof catalogFileSchema>;
export type ParsedCatalog = z.output<typeof catalogFileSchema>;

/** Checks a destination-split pattern: it must compile and name both groups. */
export function splitPatternProblem(pattern: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  const src = re.source;
  if (!src.includes('(?<user>') || !src.includes('(?<server>')) return 'must have named groups (?<user>...) and (?<server>...)';
  return null;
}
