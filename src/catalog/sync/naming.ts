/**
 * Names for what a first sync creates: kios codes, slugs and category types derived from the
 * supplier's, unique among what exists. The operator may rename any of them later; the stored
 * mapping (supplier sku -> kios product id) is what later syncs follow.
 */

/** `MLBB/MLBB112` -> `MLBB112`; anything outside the product-code alphabet becomes `_`. */
export function productCodeFor(sku: string, taken: Set<string>): string {
  const tail = sku.includes('/') ? sku.slice(sku.lastIndexOf('/') + 1) : sku;
  const base = (tail.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[_.-]+/, '') || 'P').slice(0, 56);
  return unique(base, taken, (b, n) => `${b}_${n}`);
}

/** `Mobile Legends` -> `ML`, `Valorant` -> `VALO`: short, uppercase, unique (invoice numbers carry it). */
export function categoryCodeFor(brand: string, taken: Set<string>): string {
  const words = brand.toUpperCase().replace(/[^A-Z0-9 ]/g, ' ').split(/\s+/).filter(Boolean);
  let base = words.length > 1 ? words.map((w) => w[0]).join('') : (words[0] ?? 'CAT').slice(0, 4);
  base = base.slice(0, 8) || 'CAT';
  return unique(base, taken, (b, n) => `${b}${n}`.slice(0, 10));
}

export function slugFor(brand: string, taken: Set<string>): string {
  const base = brand.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 90) || 'category';
  return unique(base, taken, (b, n) => `${b}-${n}`);
}

/** The supplier's grouping -> a kios category type (`game`, `voucher`, `e-wallet`, or its own slug). */
export function categoryTypeFor(category: string | null | undefined): string {
  const c = (category ?? '').toLowerCase();
  if (c === '' || /game/.test(c)) return 'game';
  if (/voucher/.test(c)) return 'voucher';
  if (/wallet|e-money|emoney/.test(c)) return 'e-wallet';
  const slug = c.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(slug) ? slug.slice(0, 32) : 'game';
}

function unique(base: string, taken: Set<string>, next: (base: string, n: number) => string): string {
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = next(base, n);
  taken.add(candidate);
  return candidate;
}
