import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually } from '../helpers/wait.js';
import { DigiflazzFake } from '../fakes/digiflazz.js';
import { KiosgameFake } from '../fakes/kiosgame.js';
import { api, cliEnv, expectRefused, kios, killAll, ok, okJson, Served, type CliResult, type Env } from './harness.js';

/**
 * `kios supplier ...` and `kios route ...` as an operator runs them, against fake suppliers on
 * loopback; then a real `kios serve` buying through them, and `kios order show` listing the
 * attempts. Every byte any command or the server printed is searched for the credentials.
 */
vi.setConfig({ testTimeout: 180_000 });

describe.each(DIALECTS)('kios supplier and route (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let kg: KiosgameFake;
  let df: DigiflazzFake;
  const seen: CliResult[] = [];
  const run = async (args: string[], e: Env = env) => {
    const r = await kios(e, args);
    seen.push(r);
    return r;
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    kg = await KiosgameFake.start({ balance: 1_234_567 });
    df = await DigiflazzFake.start({ balance: 7_654_321 });
    ok(await run(['demo']));
  });
  afterAll(async () => {
    await killAll();
    await kg?.close();
    await df?.close();
    await db?.drop();
  });

  it('adds supplier accounts from JSON, @file or a file; lists them with live balances; shows them masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kios-supplier-'));
    writeFileSync(join(dir, 'digi.json'), JSON.stringify(df.config()));

    const added = await run(['supplier', 'add', 'kiosgame', '--name', 'tossgames', '--config', JSON.stringify(kg.config()), '--title', 'Toss Games']);
    expect(ok(added)).toMatch(/^added supplier tossgames \(kiosgame\)\n/);
    expect(added.stdout).toMatch(/api_key +••••cdef/);
    expect(okJson(await run(['supplier', 'add', 'digiflazz', '--name', 'digi', '--config', `@${join(dir, 'digi.json')}`, '--json']))).toMatchObject({
      name: 'digi',
      kind: 'digiflazz',
      active: true,
      base_url: df.url,
      callback_url: null,
      callback_path: '/suppliers/digi/callback',
      config: { username: 'kiosbuyer', api_key: '••••-key', webhook_secret: '••••cret', testing: false, max_price: 'price', customer_no: '{user_id}{server_id}' },
    });
    ok(await run(['supplier', 'add', 'digiflazz', '--name', 'digi-file', '--config', join(dir, 'digi.json')]));

    const kinds = okJson<{ kind: string }[]>(await run(['supplier', 'kinds', '--json']));
    expect(kinds.map((x) => x.kind)).toEqual(['simulator', 'kiosgame', 'digiflazz', 'apigames', 'vcgamers']);

    const list = okJson<{ name: string; balance: number | null; balance_error: string | null; callback_path: string | null }[]>(await run(['supplier', 'list', '--json']));
    expect(list.map((s) => [s.name, s.balance, s.balance_error])).toEqual([
      ['digi', 7_654_321, null],
      ['digi-file', 7_654_321, null],
      ['simulator', 1_000_000_000, null],
      ['tossgames', 1_234_567, null],
    ]);
    expect(list.find((s) => s.name === 'simulator')!.callback_path).toBeNull();
    const table = ok(await run(['supplier', 'list']));
    expect(table).toMatch(/^tossgames +kiosgame +yes +http:\/\/127\.0\.0\.1:\d+ +Rp 1\.234\.567 +<PUBLIC_URL>\/suppliers\/tossgames\/callback$/m);
    expect(table).toMatch(/^digi +digiflazz +yes +http:\/\/127\.0\.0\.1:\d+ +Rp 7\.654\.321 /m);
    // With PUBLIC_URL, the exact URL to register at the supplier.
    const withPublic = okJson<{ callback_url: string }>(await run(['supplier', 'show', 'tossgames', '--json'], { ...env, PUBLIC_URL: 'https://kios.example.com/' }));
    expect(withPublic.callback_url).toBe('https://kios.example.com/suppliers/tossgames/callback');

    expect(ok(await run(['supplier', 'test', 'tossgames']))).toBe('ok, balance Rp 1.234.567\n');
    expect(okJson(await run(['supplier', 'balance', 'digi', '--json']))).toEqual({ balance: 7_654_321 });
    expect(ok(await run(['supplier', 'balance', 'digi']))).toBe('Rp 7.654.321\n');
  });

  it('refuses bad configurations naming the key, never echoing a value, and changes nothing', async () => {
    const before = ok(await run(['supplier', 'list', '--no-balance', '--json']));
    const cases: [string[], RegExp][] = [
      [['supplier', 'add', 'digiflazz', '--name', 'bad1', '--config', '{"username":"u","api_key":"sekrit-value-1234567",'], /^kios: --config is not valid JSON\n$/],
      [['supplier', 'add', 'digiflazz', '--name', 'bad2', '--config', '{"username":"u"}'], /^kios: invalid digiflazz configuration:\n {2}- api_key: api_key is required\n$/],
      [['supplier', 'add', 'digiflazz', '--name', 'bad3', '--config', '{"username":"u","api_key":987654321987}'], /^kios: invalid digiflazz configuration:\n {2}- api_key: api_key must be a string\n$/],
      [['supplier', 'add', 'digiflazz', '--name', 'bad4', '--config', '{"username":"u","api_key":"sekrit-value-1234567","apikey":"x"}'], /unknown key "apikey"/],
      [['supplier', 'add', 'digiflazz', '--name', 'bad5', '--config', '{"username":"u","api_key":"sekrit-value-1234567","base_url":"ftp://x"}'], /- base_url: must be an http\(s\) URL/],
      [['supplier', 'add', 'vcgamer', '--name', 'bad6', '--config', '{}'], /^kios: unknown supplier kind "vcgamer" \(known: simulator, kiosgame, digiflazz, apigames, vcgamers\)\n$/],
      [['supplier', 'add', 'digiflazz', '--name', 'Bad Name', '--config', JSON.stringify(df.config())], /the name must be lowercase letters/],
      [['supplier', 'add', 'digiflazz', '--name', 'digi', '--config', JSON.stringify(df.config())], /a supplier named "digi" already exists/],
      [['supplier', 'add', 'digiflazz', '--name', 'bad7', '--config', '/nonexistent/file.json'], /give a JSON object, @file or a file path/],
      [['supplier', 'update', 'ghost', '--config', '{}'], /no supplier named "ghost"/],
      [['supplier', 'update', 'digi', '--config', '{"max_price":"sometimes"}'], /- max_price: /],
      [['supplier', 'test', 'ghost'], /no supplier named "ghost"/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    cases.forEach(([, reason], i) => {
      expectRefused(results[i]!, reason);
      expect(results[i]!.stderr).not.toContain('sekrit-value');
      expect(results[i]!.stderr).not.toContain('987654321987');
    });
    expect(ok(await run(['supplier', 'list', '--no-balance', '--json']))).toBe(before);
  });

  it('update merges (null removes a key), disable/enable switch, a failing test says why', async () => {
    expect(okJson(await run(['supplier', 'update', 'digi', '--config', '{"testing":true}', '--json']))).toMatchObject({ config: { testing: true, api_key: '••••-key' } });
    expect(ok(await run(['supplier', 'test', 'digi']))).toBe('ok, balance Rp 7.654.321\n');
    expect(okJson(await run(['supplier', 'update', 'digi', '--config', '{"testing":null}', '--json']))).toMatchObject({ config: { testing: false } });
    expect(okJson(await run(['supplier', 'disable', 'digi-file', '--json']))).toMatchObject({ active: false });
    expect(okJson<{ name: string; balance_error: string }[]>(await run(['supplier', 'list', '--json'])).find((s) => s.name === 'digi-file')!.balance_error).toBe('disabled');
    expect(ok(await run(['supplier', 'enable', 'digi-file']))).toBe('digi-file is enabled\n');

    ok(await run(['supplier', 'update', 'digi-file', '--config', '{"api_key":"wrong-key-0000000000"}']));
    expectRefused(await run(['supplier', 'test', 'digi-file']), /^kios: digi-file: test failed: HTTP 400: rc 41 Signature Anda salah\n$/);
    ok(await run(['supplier', 'update', 'tossgames', '--config', '{"api_key":"wrong-key-1111111111"}']));
    expectRefused(await run(['supplier', 'test', 'tossgames']), /^kios: tossgames: test failed: HTTP 404: API_KEY_NOT_FOUND\n$/);
    ok(await run(['supplier', 'update', 'tossgames', '--config', JSON.stringify({ api_key: kg.apiKey })]));
    expect(ok(await run(['supplier', 'test', 'tossgames']))).toBe('ok, balance Rp 1.234.567\n');

    // A balance below the account's balance_alert floor is flagged in the list.
    ok(await run(['supplier', 'update', 'digi', '--config', '{"balance_alert":10000000}']));
    const flagged = okJson<{ name: string; balance_low: boolean | null }[]>(await run(['supplier', 'list', '--json']));
    expect(flagged.find((s) => s.name === 'digi')!.balance_low).toBe(true);
    expect(flagged.find((s) => s.name === 'tossgames')!.balance_low).toBe(false);
    expect(ok(await run(['supplier', 'list']))).toMatch(/^digi .* Rp 7\.654\.321 LOW \(< Rp 10\.000\.000\)/m);
    ok(await run(['supplier', 'update', 'digi', '--config', '{"balance_alert":null}']));
  });

  it('routes: appended last, --priority 1 first with the others shifted, margins per tier, disable, remove', async () => {
    expect(ok(await run(['route', 'add', 'S4_ML86', 'tossgames', 'S4_ML86', '--cost', '18000']))).toBe('S4_ML86: route 2 is tossgames S4_ML86 at cost 18000\n');
    ok(await run(['route', 'add', 'S4_ML86', 'digi', 'ML86', '--cost', '18.100', '--priority', '1']));
    type Route = { priority: number; supplier: string; sku: string; cost: number | null; active: boolean; margins: Record<string, number | null> };
    const routes = () => run(['route', 'list', 'S4_ML86', '--json']).then((r) => okJson<Route[]>(r));
    // Demo prices of S4_ML86: member 19,556, gold 18,997, platinum 18,624.
    expect((await routes()).map((r) => [r.priority, r.supplier, r.sku, r.cost, r.margins])).toEqual([
      [1, 'digi', 'ML86', 18_100, { member: 1456, gold: 897, platinum: 524 }],
      [2, 'simulator', 'ML86', 18_065, { member: 1491, gold: 932, platinum: 559 }],
      [3, 'tossgames', 'S4_ML86', 18_000, { member: 1556, gold: 997, platinum: 624 }],
    ]);
    // The same route again changes its cost and keeps its place (safe to run twice).
    ok(await run(['route', 'add', 'S4_ML86', 'digi', 'ML86', '--cost', '18200']));
    expect((await routes()).map((r) => [r.priority, r.supplier, r.cost])).toEqual([
      [1, 'digi', 18_200],
      [2, 'simulator', 18_065],
      [3, 'tossgames', 18_000],
    ]);
    expect(ok(await run(['route', 'disable', 'S4_ML86', 'simulator']))).toBe('1 route disabled\n');
    expect((await routes()).map((r) => [r.supplier, r.active])).toEqual([
      ['digi', true],
      ['simulator', false],
      ['tossgames', true],
    ]);
    const table = ok(await run(['route', 'list', 'S4_ML86']));
    expect(table.split('\n')[0]).toMatch(/^product +# +supplier +sku +cost +active +margin member +margin gold +margin platinum$/);
    expect(table).toMatch(/^S4_ML86 +2 +simulator +ML86 +18065 +no +1491 +932 +559$/m);
    expect(ok(await run(['route', 'remove', 'S4_ML86', 'simulator']))).toBe('removed 1 route\n');
    expect((await routes()).map((r) => [r.priority, r.supplier])).toEqual([
      [1, 'digi'],
      [2, 'tossgames'],
    ]);
    const mistakes = await Promise.all([
      run(['route', 'add', 'NOPE', 'digi', 'X', '--cost', '1']),
      run(['route', 'add', 'S4_ML86', 'ghost', 'X', '--cost', '1']),
      run(['route', 'add', 'S4_ML86', 'digi', 'X', '--cost', '-5']),
      run(['route', 'add', 'S4_ML86', 'digi', 'X']),
      run(['route', 'remove', 'S4_ML86', 'simulator']),
      run(['route', 'enable', 'S4_ML86', 'digi', 'NOSUCH']),
    ]);
    expectRefused(mistakes[0]!, /no product with code "NOPE"/);
    expectRefused(mistakes[1]!, /no supplier named "ghost"/);
    expectRefused(mistakes[2]!, /unknown option '-5'|is not a whole number/);
    expectRefused(mistakes[3]!, /required option '--cost <rupiah>' not specified/);
    expectRefused(mistakes[4]!, /S4_ML86 has no route through simulator/);
    expectRefused(mistakes[5]!, /S4_ML86 has no route through digi with sku NOSUCH/);
  });

  it('kios serve buys through the routes; order show lists every attempt, secrets masked', async () => {
    const reseller = okJson<{ id: string; api_key: string }>(await run(['reseller', 'create', '--name', 'R', '--email', 'r@example.com', '--role', 'platinum', '--balance', '100000', '--json']));
    // Route 1 (digi) refuses this order; route 2 (tossgames) delivers.
    df.plan = () => 'refuse';
    const served = Served.start({ ...env, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'false', LOG_LEVEL: 'debug', SUPPLIER_RECHECK_SCHEDULE: '0.1', WORKER_POLL_MS: '50' }, ['serve']);
    try {
      const url = await served.url();
      const placed = await api(url, '/v2/order', reseller.api_key, { product_code: 'S4_ML86', user_id: '123456789', server_id: '1234', trx_id: 'cli-1' });
      expect(placed.status).toBe(201);
      const invoice = placed.json.data.invoice_number as string;
      await eventually(async () => {
        const st = await api(url, `/v1/status/${invoice}`, reseller.api_key);
        if (st.json.data.status !== 'SUCCESS') throw new Error(st.json.data.status);
      }, 30_000);

      const show = okJson<{ status: string; attempts: { n: number; supplier: string; ref: string; state: string; reason: string | null; request: { url: string; request: string }[] }[] }>(await run(['order', 'show', invoice, '--json']));
      expect(show.status).toBe('SUCCESS');
      expect(show.attempts.map((a) => [a.n, a.supplier, a.state])).toEqual([
        [1, 'digi', 'failed'],
        [2, 'tossgames', 'success'],
      ]);
      expect(show.attempts[0]!.ref).toMatch(/^ord_[0-9a-z]+-1$/);
      expect(show.attempts[1]!.ref).toBe(show.attempts[0]!.ref.replace(/-1$/, '-2'));
      expect(show.attempts[0]!.reason).toBe('53 Produk Seller Sedang Tidak Tersedia');
      expect(show.attempts[0]!.request[0]!.url).toBe(`${df.url}/transaction`);
      expect(JSON.parse(show.attempts[0]!.request[0]!.request)).toMatchObject({ username: 'kiosbuyer', buyer_sku_code: 'ML86', ref_id: show.attempts[0]!.ref });
      const human = ok(await run(['order', 'show', invoice]));
      expect(human).toMatch(/^ {2}#1 digi sku ML86 cost 18200 {2}ref ord_\S+-1$/m);
      expect(human).toMatch(/^ {5}failed: 53 Produk Seller Sedang Tidak Tersedia {2}started /m);
      expect(human).toMatch(/^ {2}#2 tossgames sku S4_ML86 cost 18000 {2}ref ord_\S+-2 \(supplier ref FAKEKG_XX_\d+\)$/m);
      expect(human).toMatch(/^ {5}> POST http:\/\/127\.0\.0\.1:\d+\/v2\/order \{"product_code":"S4_ML86"/m);
      expect(ok(await run(['ledger', 'verify']))).toBe('ledger OK\n');
    } finally {
      df.plan = () => 'success';
      await served.stop();
    }
    // Not one credential anywhere: command output, errors, the server's debug log.
    const everything = [...seen.flatMap((r) => [r.stdout, r.stderr]), served.stdout, served.stderr].join('\n');
    expect(served.stdout.length).toBeGreaterThan(1000);
    for (const secret of [kg.apiKey, df.apiKey, df.webhookSecret, 'wrong-key-0000000000', 'wrong-key-1111111111', 'sekrit-value-1234567']) expect(everything).not.toContain(secret);
  });

  it('the catalog file\'s suppliers section keeps working, validated the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kios-catalog-'));
    const file = (name: string, data: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(data));
      return join(dir, name);
    };
    ok(await run(['catalog', 'import', file('ok.json', { suppliers: [{ id: 'digi2', kind: 'digiflazz', name: 'Digi 2', config: df.config() }] })]));
    expect(okJson(await run(['supplier', 'show', 'digi2', '--json']))).toMatchObject({ title: 'Digi 2', config: { api_key: '••••-key' } });
    expect(ok(await run(['supplier', 'test', 'digi2']))).toBe('ok, balance Rp 7.654.321\n');
    const bad = await run(['catalog', 'import', file('bad.json', { suppliers: [{ id: 'digi3', kind: 'digiflazz', name: 'D3', config: { username: 'u', api_key: 4242424242424242 } }] })]);
    expectRefused(bad, /suppliers\.0\.config\.api_key: /);
    expect(bad.stderr).not.toContain('4242424242424242');
    const exported = ok(await run(['catalog', 'export']));
    expect(exported).not.toContain(df.apiKey);
    expect(JSON.parse(exported).suppliers.map((s: { id: string }) => s.id)).toEqual(['digi', 'digi-file', 'digi2', 'simulator', 'tossgames']);
  });
});
