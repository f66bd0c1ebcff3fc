import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import type { CatalogFile } from '../../src/catalog/format.js';
import type { ConnectorFactory, SupplierConnector } from '../../src/connectors/types.js';
import type { TestKios } from '../helpers/kios.js';

/**
 * Shared pieces of the Otomax suites: a text-channel client, the README's parsing regexes (read
 * from README.md itself, so the README is what is tested), the collection's example replies and
 * a scripted supplier that returns the documents' own nickname.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TextReply {
  status: number;
  contentType: string | null;
  text: string;
}

/** `GET {path}?{params}` as Otomax sends it: every value URL-encoded, nothing else. */
export async function otomaxGet(t: TestKios, path: string, params: Record<string, string | string[]> = {}, init: RequestInit = {}): Promise<TextReply> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  const qs = q.toString();
  return rawGet(t, qs ? `${path}?${qs}` : path, init);
}

/** A request with a path and query sent exactly as given (for malformed input). */
export async function rawGet(t: TestKios, pathAndQuery: string, init: RequestInit = {}): Promise<TextReply> {
  const res = await fetch(`${t.url}${pathAndQuery}`, init);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** Every reply of the channel: HTTP 200, `text/plain; charset=utf-8`, exactly one line. */
export function expectTextLine(r: TextReply): string {
  expect(r.status).toBe(200);
  expect(r.contentType).toBe('text/plain; charset=utf-8');
  expect(r.text).not.toMatch(/[\r\n]/);
  expect(r.text.length).toBeGreaterThan(0);
  return r.text;
}

// ---------------------------------------------------------------------------------------------
// The collection's example replies (test/fixtures/spec is a copy of the published documents).

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  description?: string;
  response?: { body?: string }[];
}

function collection(): PostmanItem[] {
  const file = join(ROOT, 'test', 'fixtures', 'spec', 'kiosgame-indonesia.postman_collection.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { item: PostmanItem[] }).item;
}

function folder(name: string): PostmanItem[] {
  const f = collection().find((i) => i.name === name);
  if (!f?.item) throw new Error(`folder ${name} not in the collection`);
  return f.item;
}

/** The body of the first example response of an `H2H (Otomax)` request. */
export function exampleReply(request: string): string {
  const body = folder('H2H (Otomax)').find((i) => i.name === request)?.response?.[0]?.body;
  if (!body) throw new Error(`no example reply for ${request}`);
  return body;
}

/** The `Callback Otomax` example: the documented GET URL and its decoded data. */
export function exampleCallback(): { url: string; data: Record<string, unknown> } {
  const d = folder('Callback').find((i) => i.name === 'Callback Otomax')?.description ?? '';
  const url = /<code>(https?:\/\/[^<]+)<\/code>/.exec(d)?.[1]?.replace(/&amp;/g, '&');
  const json = /<code class="language-json">([\s\S]*?)<\/code>/.exec(d)?.[1];
  if (!url || !json) throw new Error('Callback Otomax example not found');
  // The document annotates a line with `// ...`: not JSON.
  return { url, data: JSON.parse(json.replace(/\/\/[^\n]*/g, '')) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// The README's regexes.

export type RegexName = 'status' | 'invoice' | 'sn' | 'voucher' | 'balance' | 'user' | 'error';

const LABELS: Record<string, RegexName> = {
  'status keyword': 'status',
  'invoice number': 'invoice',
  'sn (refid)': 'sn',
  'voucher code': 'voucher',
  'balance (sisa saldo)': 'balance',
  'user / balance line': 'user',
  'error code': 'error',
};

export const README_SECTION = '## Otomax and other H2H software';

/**
 * The fenced ```regex blocks of the README's Otomax section, each named by the bold label that
 * starts the paragraph before it (e.g. `**Status keyword**`).
 */
export function readmeRegexes(): { sources: Record<RegexName, string>; regexes: Record<RegexName, RegExp> } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${README_SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${README_SECTION}" section`);
  const rest = readme.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  const sources: Partial<Record<RegexName, string>> = {};
  const block = /```regex\n([\s\S]*?)\n```/g;
  for (let m = block.exec(section); m; m = block.exec(section)) {
    const before = section.slice(0, m.index).trimEnd().split('\n\n').pop() ?? '';
    const label = /^\*\*(.+?)\*\*/.exec(before.trim())?.[1]?.toLowerCase();
    const name = label ? LABELS[label] : undefined;
    if (!name) throw new Error(`a regex block in the README has no known label (paragraph before it: ${JSON.stringify(before.slice(0, 80))})`);
    if (sources[name]) throw new Error(`two README regex blocks are labelled ${label}`);
    const src = m[1]!.trim();
    if (src.includes('\n')) throw new Error(`README regex ${label} spans several lines`);
    sources[name] = src;
  }
  for (const name of Object.values(LABELS)) if (!sources[name]) throw new Error(`README has no regex for ${name}`);
  const all = sources as Record<RegexName, string>;
  const regexes = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, new RegExp(v)])) as Record<RegexName, RegExp>;
  return { sources: all, regexes };
}

export interface ParsedReply {
  status: string | null;
  invoice: string | null;
  sn: string | null;
  balance: number | null;
  error: string | null;
}

/** What an operator's parser configured with the README's regexes reads from a reply line. */
export function parseWithReadme(line: string): ParsedReply {
  const { regexes } = readmeRegexes();
  const g = (name: RegexName) => regexes[name].exec(line)?.[1] ?? null;
  const balance = g('balance');
  return { status: g('status'), invoice: g('invoice'), sn: g('sn'), balance: balance === null ? null : Number(balance), error: g('error') };
}

/** The README's user-line regex: name, email, plan, balance. */
export function parseUserLineWithReadme(line: string): { name: string; email: string; plan: string; balance: number } | null {
  const m = readmeRegexes().regexes.user.exec(line);
  return m ? { name: m[1]!, email: m[2]!, plan: m[3]!, balance: Number(m[4]) } : null;
}

/**
 * Asserts that the README's regexes read exactly the expected parts of a reply (null: that
 * part must not be found in this kind of reply).
 */
export function expectReadmeParse(line: string, expected: ParsedReply): void {
  expect(parseWithReadme(line), line).toEqual(expected);
}

// ---------------------------------------------------------------------------------------------
// A scripted supplier: the account check answers the configured nickname (the documents' own
// `Nickname`, or one full of characters that need URL-encoding); purchases succeed at once
// without a supplier reference, so the RefId stays kios's own `{CODE}_{unix}_{4 digits}`, as in
// the documented examples.

const scriptedConfig = z.object({ nickname: z.string() }).strict();

export const scriptedFactory: ConnectorFactory<z.infer<typeof scriptedConfig>> = {
  kind: 'scripted',
  title: 'Scripted test supplier',
  configSchema: scriptedConfig,
  secretKeys: [],
  callbacks: false,
  create(config): SupplierConnector {
    return {
      kind: 'scripted',
      rateLimit: null,
      async checkAccount() {
        return { kind: 'ok', nickname: config.nickname };
      },
      async purchase() {
        return { kind: 'success', supplierRef: null };
      },
      async status() {
        return { kind: 'success', supplierRef: null };
      },
    };
  },
};

export const DOC_NICKNAME = 'Nickname';
/** Characters that a naive (unencoded) report URL would break on: `#`, spaces, `&`, `+`, `%`, `=`, parentheses. */
export const AWKWARD_NICKNAME = 'Tom & Jerry #1 (100% +x=y)';

/**
 * A catalog reproducing the documents' examples: category code `XX` (the collection's invoice
 * `APIKUY_XX_...`), product `S1_1187` at platinum price 1511, needing a server split like
 * Mobile Legends, fulfilled by the scripted supplier with the documents' nickname.
 */
export const DOC_CATALOG: CatalogFile = {
  suppliers: [{ id: 'doc', kind: 'scripted', name: 'Scripted (documents)', config: { nickname: DOC_NICKNAME } }],
  categories: [
    {
      code: 'XX',
      type: 'game',
      title: 'Mobile Legends',
      slug: 'mobile-legends-doc',
      server: { required: true, split: '^(?<user>\\d+)(?<server>\\d{4})$' },
      products: [{ code: 'S1_1187', name: '5 (5+0) Diamonds', prices: { platinum: 1511 }, routes: [{ supplier: 'doc', sku: 'ML5' }] }],
    },
  ],
};

/** Product `AWK1` (no server, platinum 1000): its nickname needs every kind of URL-encoding. */
export const AWKWARD_CATALOG: CatalogFile = {
  suppliers: [{ id: 'awkward', kind: 'scripted', name: 'Scripted (awkward)', config: { nickname: AWKWARD_NICKNAME } }],
  categories: [
    {
      code: 'AWK',
      type: 'game',
      title: 'Awkward Game',
      slug: 'awkward-game',
      products: [{ code: 'AWK1', name: 'Awkward nickname', prices: { platinum: 1000 }, routes: [{ supplier: 'awkward', sku: 'AWK1' }] }],
    },
  ],
};

/** Options for `TestKios.start` that make the scripted supplier available. */
export const WITH_SCRIPTED = { extraConnectors: [scriptedFactory as unknown as ConnectorFactory<never>] };

// ---------------------------------------------------------------------------------------------
// RULINGS section 2 templates, written out independently of src/otomax/lines.ts.

export interface OrderFacts {
  trx_id: string | null;
  invoice_number: string;
  product_code: string;
  user_id: string;
  server_id: string | null;
  status: string;
  response_note: string;
}

export const expected = {
  created: (trx: string, productCode: string, dest: string, ref: string, balance: number) =>
    `R#${trx} ${productCode}.${dest}, status PENDING. RefId : ${ref} . Sisa saldo ${balance}`,
  status: (o: OrderFacts, balance: number) =>
    `R#${o.trx_id ?? ''} ${o.invoice_number} ${o.product_code}.${o.server_id ? `${o.user_id}(${o.server_id})` : o.user_id}, status ${o.status}. ${o.response_note} . Sisa saldo ${balance}`,
  error: (trx: string, productCode: string, dest: string, code: string, balance: number) =>
    `R#${trx} ${productCode}.${dest}, status FAILED. ${code} . Sisa saldo ${balance}`,
  user: (name: string, email: string, plan: string, balance: number) => `${name}. ${email}. plan ${plan}. balance ${balance}`,
};

let trxSeq = 0;
/** A trx_id unique within a run, shaped like Otomax's numeric ids. */
export function newTrx(): string {
  trxSeq += 1;
  return `${Date.now() % 1_000_000_000}${String(trxSeq).padStart(4, '0')}`;
}

/**
 * The RefId a created line carries: kios's own `{CODE}_{unix seconds}_{4 digits}`, made in the
 * same second as the invoice number. Read back from the line (once the supplier answers, the
 * order's `ref` becomes the supplier's reference), after checking its shape against the order.
 */
export function createdRef(line: string, order: { invoice_number: string; category_code: string }): string {
  const ref = /RefId : (\S+) \. Sisa saldo/.exec(line)?.[1];
  const unix = order.invoice_number.split('_').at(-2);
  expect(ref, line).toMatch(new RegExp(`^${order.category_code}_${unix}_\\d{4}$`));
  return ref!;
}
