import type { CatalogFile } from '../catalog/format.js';

/**
 * The demo catalog: the published documents' own examples with their exact ids and codes, plus
 * enough more to exercise every rule (servers with and without a split rule, a voucher, an
 * inactive product, an inactive category, an e-wallet that cannot be paid from balance).
 * Every product is fulfilled by the built-in simulator.
 */
/** The simulator route, at a cost 3% under the platinum price (so `kios route list` shows margins). */
const sim = (sku: string, platinum: number) => [{ supplier: 'simulator', sku, cost: Math.floor(platinum * 0.97) }];

/** Tier prices from the platinum price: gold +2%, member +5%, rounded up to whole rupiah. */
const prices = (platinum: number) => ({ member: Math.ceil(platinum * 1.05), gold: Math.ceil(platinum * 1.02), platinum });

export const DEMO_CATALOG: CatalogFile = {
  tiers: [
    { code: 'member', name: 'Member', order: 1 },
    { code: 'gold', name: 'Gold Member', order: 2 },
    { code: 'platinum', name: 'Platinum Member', order: 3 },
  ],
  suppliers: [{ id: 'simulator', kind: 'simulator', name: 'Built-in simulator' }],
  categories: [
    {
      id: 'dca1a711-b6e2-4158-98da-014eb5caf458',
      code: 'ML',
      type: 'game',
      title: 'Mobile Legends',
      subtitle: 'Montoon',
      slug: 'mobile-legends',
      photo: 'http://res.cloudinary.com/dk2yxqi3y/image/upload/v1700591984/logo/tnxifn7hdnpuz5ufgvzd.webp',
      banner: null,
      active: true,
      popular: true,
      hotsale: false,
      order: 1,
      // Zone ids are the last 4 digits of a concatenated destination (`1234567891234` is user
      // `123456789`, zone `1234`, as in the Otomax v2 example).
      server: { required: true, split: '^(?<user>\\d+)(?<server>\\d{4})$' },
      products: [
        { code: 'S1_1187', name: '5 (5+0) Diamonds', prices: prices(1511), routes: sim('ML5', 1511), order: 1 },
        { id: 'd8ccc4ea-e19d-4255-a7d0-f85d6fad0d77', code: 'S4_ML86', name: '86 Diamonds', prices: prices(18624), routes: sim('ML86', 18624), order: 2 },
        { code: 'S4_ML172', name: '172 Diamonds', prices: prices(37248), routes: sim('ML172', 37248), order: 3 },
        { code: 'S4_ML257', name: '257 Diamonds', prices: prices(55872), routes: sim('ML257', 55872), order: 4 },
        { code: 'S4_MLWDP', name: 'Weekly Diamond Pass', prices: prices(27500), routes: sim('MLWDP', 27500), order: 5, active: false },
      ],
    },
    {
      code: 'NIKKE',
      type: 'game',
      title: 'Goddess of Victory: Nikke',
      subtitle: 'Level Infinite',
      slug: 'goddess-of-victory-nikke',
      popular: true,
      order: 2,
      products: [
        { id: '00116691-900f-4753-a5d2-62f11a43469d', code: 'S1_10835', name: '60 + 1 Gems', prices: prices(11327), routes: sim('NIKKE60', 11327), order: 1 },
        { code: 'S1_10836', name: '300 + 20 Gems', prices: prices(56635), routes: sim('NIKKE300', 56635), order: 2 },
      ],
    },
    {
      code: 'FF',
      type: 'game',
      title: 'Free Fire',
      subtitle: 'Garena',
      slug: 'free-fire',
      hotsale: true,
      order: 3,
      products: [
        { code: 'FF70', name: '70 Diamonds', prices: prices(9405), routes: sim('FF70', 9405) },
        { code: 'FF140', name: '140 Diamonds', prices: prices(18810), routes: sim('FF140', 18810) },
      ],
    },
    {
      code: 'GI',
      type: 'game',
      title: 'Genshin Impact',
      subtitle: 'HoYoverse',
      slug: 'genshin-impact',
      order: 4,
      // Needs a server (e.g. os_asia) but has no split rule: Otomax callers must separate it.
      server: { required: true, split: null },
      products: [{ code: 'GI60', name: '60 Genesis Crystals', prices: prices(12900), routes: sim('GI60', 12900) }],
    },
    {
      code: 'GPV',
      type: 'voucher',
      title: 'Google Play Voucher',
      subtitle: 'Google',
      slug: 'google-play-voucher',
      order: 5,
      check_account: false,
      products: [
        { code: 'GPV10', name: 'Google Play Rp 10.000', prices: prices(10250), routes: sim('GPV10', 10250) },
        { code: 'GPV50', name: 'Google Play Rp 50.000', prices: prices(50750), routes: sim('GPV50', 50750) },
      ],
    },
    {
      code: 'HOK',
      type: 'game',
      title: 'Honor of Kings',
      subtitle: 'Level Infinite',
      slug: 'honor-of-kings',
      active: false,
      order: 6,
      products: [{ code: 'HOK80', name: '80 Tokens', prices: prices(14800), routes: sim('HOK80', 14800) }],
    },
    {
      code: 'DANA',
      type: 'e-wallet',
      title: 'DANA',
      subtitle: 'DANA Indonesia',
      slug: 'dana',
      order: 7,
      check_account: false,
      products: [{ code: 'DANA10', name: 'DANA Rp 10.000', prices: prices(10500), routes: sim('DANA10', 10500) }],
    },
  ],
};

export const DEMO_RESELLER = {
  name: 'Demo Reseller',
  email: 'demo@kios.local',
  phone: '628123456789',
  role: 'platinum',
  balance: 1_000_000,
};
