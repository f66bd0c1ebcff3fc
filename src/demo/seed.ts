import type { Kios } from '../app.js';
import { OperatorError } from '../resellers/service.js';
import { DEMO_CATALOG, DEMO_RESELLER } from './demo-catalog.js';

export interface DemoSeed {
  resellerId: string;
  apiKey: string;
  createdReseller: boolean;
  products: number;
}

/** Imports the demo catalog and makes sure the demo reseller exists. Idempotent. */
export async function seedDemo(k: Kios): Promise<DemoSeed> {
  const counts = await k.catalog.import(DEMO_CATALOG);
  try {
    const existing = await k.resellers.get(DEMO_RESELLER.email);
    return { resellerId: existing.id, apiKey: await k.resellers.apiKeyOf(existing.id), createdReseller: false, products: counts.products };
  } catch (err) {
    if (!(err instanceof OperatorError)) throw err;
  }
  const { reseller, apiKey } = await k.resellers.create(DEMO_RESELLER);
  return { resellerId: reseller.id, apiKey, createdReseller: true, products: counts.products };
}

/**
 * On the very first start of an empty database (and only then), seeds the demo so that
 * `npm install && npm start` gives something to call. The `first_start` marker is inserted
 * atomically, so of several processes starting together only one seeds.
 */
export async function seedDemoOnFirstStart(k: Kios): Promise<DemoSeed | null> {
  const marked = await k.db.kysely
    .insertInto('meta')
    .values({ key: 'first_start', value: new Date(k.clock()).toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  if (Number(marked.numInsertedOrUpdatedRows ?? 0n) === 0 || !k.config.seedDemo) return null;
  const [resellers, products] = await Promise.all([
    k.db.kysely.selectFrom('resellers').select('id').limit(1).execute(),
    k.db.kysely.selectFrom('products').select('id').limit(1).execute(),
  ]);
  if (resellers.length > 0 || products.length > 0) return null;
  return seedDemo(k);
}
