import type { InputForm } from '../../src/domain/input-form.js';

/**
 * The catalog every fake supplier sells from: game brands with their input forms (as VCGamers
 * publishes them) and their products, generated deterministically so a test knows what a sync
 * must find. Tests edit it in place (a price rise, a product gone or switched off) and sync again.
 */

export interface FakeBrand {
  /** VCGamers `brand_key`; the prefix of its products' keys. */
  key: string;
  name: string;
  /** The supplier's grouping above brands. */
  category: 'Games' | 'Voucher';
  form: InputForm;
  /** Items sold, e.g. Diamonds. */
  unit: string;
}

export interface FakeProduct {
  brandKey: string;
  /** The product's key at the supplier (VCGamers `variation_key`, Digiflazz `buyer_sku_code`, Kiosgame `product_code`). */
  key: string;
  name: string;
  price: number;
  active: boolean;
}

const numeric = (key: string, alias: string) => ({ key, type: 'numeric' as const, alias });
const text = (key: string, alias: string) => ({ key, type: 'text' as const, alias });
const option = (key: string, alias: string, options: string[]) => ({ key, type: 'option' as const, alias, options });

export const FAKE_BRANDS: readonly FakeBrand[] = [
  { key: 'MLBB', name: 'Mobile Legends', category: 'Games', unit: 'Diamonds', form: [numeric('user_id', 'User ID'), numeric('additional_id', 'Zone ID')] },
  { key: 'FF', name: 'Free Fire', category: 'Games', unit: 'Diamonds', form: [numeric('user_id', 'Player ID')] },
  { key: 'GI', name: 'Genshin Impact', category: 'Games', unit: 'Genesis Crystals', form: [numeric('user_id', 'UID'), option('additional_id', 'SERVER', ['os_asia', 'os_usa', 'os_euro', 'os_cht'])] },
  { key: 'PUBGM', name: 'PUBG Mobile', category: 'Games', unit: 'UC', form: [numeric('user_id', 'Character ID')] },
  { key: 'HSR', name: 'Honkai Star Rail', category: 'Games', unit: 'Oneiric Shards', form: [numeric('user_id', 'UID'), option('additional_id', 'SERVER', ['prod_official_asia', 'prod_official_usa', 'prod_official_eur', 'prod_official_cht'])] },
  { key: 'VALO', name: 'Valorant', category: 'Games', unit: 'Points', form: [text('user_id', 'Riot ID')] },
  { key: 'ROX', name: 'Ragnarok X', category: 'Games', unit: 'Diamonds', form: [numeric('user_id', 'Char ID'), option('additional_id', 'SERVER', ['SEA', 'NA', 'JP', 'KR'])] },
  { key: 'STEAMV', name: 'Steam Wallet', category: 'Voucher', unit: 'IDR', form: [text('user_id', 'Email')] },
];

/** `count` products spread over the brands, priced from their nominal. */
export function fakeProducts(count = 300): FakeProduct[] {
  const products: FakeProduct[] = [];
  for (let i = 0; products.length < count; i++) {
    const brand = FAKE_BRANDS[i % FAKE_BRANDS.length]!;
    const nominal = 10 * (Math.floor(i / FAKE_BRANDS.length) + 1) + (i % 3);
    products.push({ brandKey: brand.key, key: `${brand.key}${nominal}`, name: `${nominal} ${brand.unit}`, price: 250 * nominal + 150, active: true });
  }
  return products;
}

export class FakeCatalog {
  readonly products: FakeProduct[];

  constructor(count = 300) {
    this.products = fakeProducts(count);
  }

  brand(key: string): FakeBrand | undefined {
    return FAKE_BRANDS.find((b) => b.key === key);
  }

  product(key: string): FakeProduct | undefined {
    return this.products.find((p) => p.key === key);
  }

  /** The product or throws: tests name products they know exist. */
  get(key: string): FakeProduct {
    const p = this.product(key);
    if (!p) throw new Error(`no product ${key} in the fake catalog`);
    return p;
  }

  remove(key: string): void {
    const i = this.products.findIndex((p) => p.key === key);
    if (i < 0) throw new Error(`no product ${key} in the fake catalog`);
    this.products.splice(i, 1);
  }
}
