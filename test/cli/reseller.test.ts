import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { api, cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios reseller ...` run as a child process against a fresh database, with the API running
 * (in-process) on the same database, so every key the CLI prints is tried for real.
 */
// Each command is a new node process; on a busy 2-core machine a test runs dozens of them.
vi.setConfig({ testTimeout: 180_000 });

describe.each(DIALECTS)('kios reseller (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let t: TestKios;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
    t = await TestKios.start(dialect, {}, { existing: db, catalog: false });
  });
  afterAll(async () => {
    await killAll();
    await t?.stop();
    await db?.drop();
  });

  let n = 0;
  const email = (tag: string) => `${tag}-${++n}@example.com`;
  const user = (key: string) => api(t.url, '/v1/user', key);
  const show = async (who: string) => okJson(await kios(env, ['reseller', 'show', who, '--json']));
  const createJson = async (tag: string, extra: string[] = []) =>
    okJson<{ id: string; api_key: string }>(await kios(env, ['reseller', 'create', '--name', `Toko ${tag}`, '--email', email(tag), ...extra, '--json']));
  const ledgerRows = (resellerId: string) =>
    t.kios.db.kysely.selectFrom('ledger_entries').selectAll().where('reseller_id', '=', resellerId).orderBy('seq').execute();

  it('create prints the id and an API key that works against the API', async () => {
    const out = ok(
      await kios(env, ['reseller', 'create', '--name', 'Toko Human', '--email', 'Toko.Human@Example.com', '--phone', '628111222333', '--role', 'gold', '--balance', '250000']),
    );
    const id = out.match(/^created reseller (rs_\w+) /m)?.[1];
    const key = out.match(/^api key: (kios_[\w-]+)$/m)?.[1];
    expect(id, out).toBeDefined();
    expect(key, out).toBeDefined();

    const me = await user(key!);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({
      user_name: 'Toko Human',
      user_email: 'toko.human@example.com',
      user_phone: '628111222333',
      user_balance: 250000,
      role_code: 'gold',
    });
    expect((await show('toko.human@example.com')).id).toBe(id);
    // The opening balance is a ledger entry, not a bare number.
    const entries = await ledgerRows(id!);
    expect(entries.map((e) => [e.kind, e.amount, e.balance_after])).toEqual([['deposit', 250000, 250000]]);
  });

  it('create --json prints exactly {"id","api_key"}', async () => {
    const r = await kios(env, ['reseller', 'create', '--name', 'Toko Json', '--email', 'json@example.com', '--role', 'platinum', '--balance', '100000', '--json']);
    const created = okJson<Record<string, string>>(r);
    expect(Object.keys(created).sort()).toEqual(['api_key', 'id']);
    expect(created.id).toMatch(/^rs_/);
    const me = await user(created.api_key!);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ user_email: 'json@example.com', user_balance: 100000, role_code: 'platinum', user_phone: null });
    expect((await show('json@example.com')).id).toBe(created.id);
  });

  it('a duplicate email is refused with a clear message and nothing is written', async () => {
    const before = await t.snapshot();
    const listBefore = ok(await kios(env, ['reseller', 'list', '--json']));
    const r = await kios(env, ['reseller', 'create', '--name', 'Someone Else', '--email', 'JSON@example.com', '--balance', '5000']);
    expectRefused(r, /a reseller with email json@example\.com already exists/);
    expect(await t.snapshot()).toEqual(before);
    expect(ok(await kios(env, ['reseller', 'list', '--json']))).toBe(listBefore);
  });

  it('an unknown role is refused, naming the known ones, and nothing is written', async () => {
    const before = await t.snapshot();
    const r = await kios(env, ['reseller', 'create', '--name', 'Toko Diamond', '--email', 'diamond@example.com', '--role', 'diamond', '--balance', '1000']);
    expectRefused(r, /unknown role "diamond" \(known: member, gold, platinum\)/);
    expect(await t.snapshot()).toEqual(before);
    expectRefused(await kios(env, ['reseller', 'show', 'diamond@example.com']), /no reseller with id or email "diamond@example\.com"/);
  });

  it('create refuses invalid input without writing anything', async () => {
    const before = await t.snapshot();
    expectRefused(await kios(env, ['reseller', 'create', '--name', 'X', '--email', 'not-an-email']), /email is not a valid address/);
    expectRefused(await kios(env, ['reseller', 'create', '--name', 'X', '--email', 'p@example.com', '--phone', 'call me']), /phone must be/);
    expectRefused(await kios(env, ['reseller', 'create', '--name', 'X', '--email', 'b@example.com', '--balance', '12.5']), /"12\.5" is not a whole number of rupiah/);
    expectRefused(await kios(env, ['reseller', 'create', '--name', 'X']), /required option '--email <email>' not specified/);
    expect(await t.snapshot()).toEqual(before);
  });

  it('list --json gives every reseller with its fields; list prints an aligned table', async () => {
    const a = await createJson('list', ['--role', 'member', '--balance', '777']);
    ok(await kios(env, ['reseller', 'whitelist', a.id, 'add', '198.51.100.0/24']));
    ok(await kios(env, ['reseller', 'webhook', a.id, 'https://93.184.215.14/callback']));

    const list = okJson<Record<string, unknown>[]>(await kios(env, ['reseller', 'list', '--json']));
    const rows = await t.kios.db.kysely.selectFrom('resellers').select(['id', 'email', 'balance']).execute();
    expect(list.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const r of list) {
      expect(Object.keys(r)).toEqual(['id', 'name', 'email', 'phone', 'role', 'balance', 'ip_whitelist', 'webhook_url', 'disabled', 'created_at', 'updated_at']);
      expect(r.balance).toBe(rows.find((x) => x.id === r.id)!.balance);
      expect(Array.isArray(r.ip_whitelist)).toBe(true);
      expect(new Date(r.created_at as string).toISOString()).toBe(r.created_at);
    }
    expect(list.find((r) => r.id === a.id)).toMatchObject({
      name: 'Toko list',
      role: 'member',
      balance: 777,
      ip_whitelist: ['198.51.100.0/24'],
      webhook_url: 'https://93.184.215.14/callback',
    });

    const table = ok(await kios(env, ['reseller', 'list'])).trimEnd().split('\n');
    const header = table[0]!;
    expect(header.split(/\s{2,}/)).toEqual(['id', 'name', 'email', 'role', 'balance', 'whitelist', 'webhook']);
    expect(table).toHaveLength(list.length + 1);
    for (const r of list) {
      const line = table.find((l) => l.startsWith(`${r.id} `));
      expect(line, `no row for ${r.id} in\n${table.join('\n')}`).toBeDefined();
      // Columns are aligned under their headers.
      expect(line!.indexOf(` ${r.email as string} `) + 1).toBe(header.indexOf('email'));
      expect(line!.slice(header.indexOf('balance')).split(/\s+/)[0]).toBe(String(r.balance));
      const wl = (r.ip_whitelist as string[]).join(',') || '(any)';
      expect(line!.slice(header.indexOf('whitelist')).split(/\s+/)[0]).toBe(wl);
    }
    const row = table.find((l) => l.startsWith(`${a.id} `))!;
    expect(row.split(/\s{2,}/)).toEqual([a.id, 'Toko list', expect.stringMatching(/^list-\d+@example\.com$/), 'member', '777', '198.51.100.0/24', 'https://93.184.215.14/callback']);
  });

  it('deposit credits the balance with one ledger entry (by email or by id)', async () => {
    const r = await createJson('deposit', ['--balance', '1000']);
    const em = (await show(r.id)).email as string;

    const d = okJson<{ entry_id: string; balance: number }>(await kios(env, ['reseller', 'deposit', em, '12345', '--note', 'BCA transfer', '--json']));
    expect(d.balance).toBe(1000 + 12345);
    const entries = await ledgerRows(r.id);
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ id: d.entry_id, kind: 'deposit', amount: 12345, balance_after: 13345, note: 'BCA transfer', order_id: null });

    const human = ok(await kios(env, ['reseller', 'deposit', r.id, '655']));
    expect(human.trim()).toBe('deposited 655; balance is now 14000');
    expect((await user(r.api_key)).json.data.user_balance).toBe(14000);
    expect((await show(r.id)).balance).toBe(14000);
    expect(await ledgerRows(r.id)).toHaveLength(3);
  });

  it('a deposit --reference is credited once: the second time it is refused', async () => {
    const r = await createJson('reference', ['--balance', '0']);
    const first = okJson<{ balance: number }>(await kios(env, ['reseller', 'deposit', r.id, '5000', '--reference', 'BCA-0001', '--json']));
    expect(first.balance).toBe(5000);
    const before = await t.snapshot();
    expectRefused(await kios(env, ['reseller', 'deposit', r.id, '5000', '--reference', 'BCA-0001']), /deposit reference "BCA-0001" was already posted for this reseller/);
    expect(await t.snapshot()).toEqual(before);
    const entries = await ledgerRows(r.id);
    expect(entries.filter((e) => e.reference === 'BCA-0001')).toHaveLength(1);
    expect((await user(r.api_key)).json.data.user_balance).toBe(5000);
    // Another reference is another deposit.
    expect(okJson(await kios(env, ['reseller', 'deposit', r.id, '5000', '--reference', 'BCA-0002', '--json'])).balance).toBe(10000);
  });

  it('refuses zero, negative, non-numeric and fractional amounts and changes nothing', async () => {
    const r = await createJson('amounts', ['--balance', '2000']);
    const before = await t.snapshot();
    const amounts = ['0', '-5', '-0', 'abc', '1.5', '100.50', '0,5', '1e3', ''];
    for (const res of await Promise.all(amounts.map((a) => kios(env, ['reseller', 'deposit', r.id, a])))) expectRefused(res, /whole number of rupiah/);
    expectRefused(await kios(env, ['reseller', 'deposit', 'nobody@example.com', '100']), /no reseller with id or email "nobody@example\.com"/);
    expect(await t.snapshot()).toEqual(before);
    expect((await show(r.id)).balance).toBe(2000);
  });

  it('whitelist add/remove normalises IPv4, IPv6 and CIDR entries and the API enforces them', async () => {
    const r = await createJson('whitelist');
    const wl = async (action: string, entry: string) => okJson<{ whitelist: string[] }>(await kios(env, ['reseller', 'whitelist', r.id, action, entry, '--json'])).whitelist;

    expect(await wl('add', '203.0.113.7')).toEqual(['203.0.113.7']);
    expect(await wl('add', '10.1.2.3/8')).toEqual(['203.0.113.7', '10.0.0.0/8']);
    expect(await wl('add', '2001:DB8:0:0::1')).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1']);
    expect(await wl('add', '2001:db8::abcd/32')).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32']);
    expect(await wl('add', '::ffff:198.51.100.9')).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '198.51.100.9']);
    // Adding an entry already there (in another spelling) does not duplicate it.
    expect(await wl('add', '10.0.0.0/8')).toHaveLength(5);
    expect((await show(r.id)).ip_whitelist).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '198.51.100.9']);

    // The API (reached from 127.0.0.1) now refuses this key, until loopback is listed.
    const refused = await user(r.api_key);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe('IP_NOT_WHITELISTED');
    const human = ok(await kios(env, ['reseller', 'whitelist', r.id, 'add', '127.0.0.1/8']));
    expect(human).toMatch(/^whitelist: .*127\.0\.0\.0\/8/);
    expect((await user(r.api_key)).status).toBe(200);
    expect(await wl('remove', '127.9.9.9/8')).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '198.51.100.9']);
    expect((await user(r.api_key)).status).toBe(403);

    const before = await show(r.id);
    const bad = ['300.1.1.1', '1.2.3.4/33', '2001:db8::/129', 'example.com', '10.0.0.1/'];
    for (const res of await Promise.all(bad.map((b) => kios(env, ['reseller', 'whitelist', r.id, 'add', b])))) expectRefused(res, /is not an IP address or CIDR range/);
    expectRefused(await kios(env, ['reseller', 'whitelist', r.id, 'remove', '192.0.2.1']), /192\.0\.2\.1 is not on the whitelist/);
    expectRefused(await kios(env, ['reseller', 'whitelist', r.id, 'allow', '192.0.2.1']), /'allow' is invalid for argument 'action'. Allowed choices are add, remove/);
    expect(await show(r.id)).toEqual(before);

    for (const e of ['203.0.113.7', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '198.51.100.9']) await wl('remove', e);
    expect((await show(r.id)).ip_whitelist).toEqual([]);
    expect((await user(r.api_key)).status).toBe(200);
  });

  it('webhook accepts a public URL, refuses private ones unless CALLBACK_ALLOW_PRIVATE, and "none" clears it', async () => {
    const r = await createJson('webhook');
    const set = okJson<{ webhook_url: string | null }>(await kios(env, ['reseller', 'webhook', r.id, 'https://93.184.215.14/kios/callback?shop=1', '--json']));
    expect(set.webhook_url).toBe('https://93.184.215.14/kios/callback?shop=1');
    expect((await show(r.id)).webhook_url).toBe('https://93.184.215.14/kios/callback?shop=1');

    const privateUrls = ['http://127.0.0.1/x', 'http://10.0.0.1/', 'http://192.168.1.10:8080/cb', 'http://[::1]/cb', 'http://localhost:3000/cb'];
    for (const res of await Promise.all(privateUrls.map((u) => kios(env, ['reseller', 'webhook', r.id, u])))) {
      expectRefused(res, /webhook URL refused: .*private or local network/);
    }
    expectRefused(await kios(env, ['reseller', 'webhook', r.id, 'ftp://93.184.215.14/cb']), /webhook URL refused: .*http or https/);
    expectRefused(await kios(env, ['reseller', 'webhook', r.id, 'not a url']), /webhook URL refused: .*not an absolute URL/);
    expectRefused(await kios({ ...env, CALLBACK_ALLOW_PRIVATE: 'false' }, ['reseller', 'webhook', r.id, 'http://127.0.0.1/x']), /private or local network/);
    expect((await show(r.id)).webhook_url).toBe('https://93.184.215.14/kios/callback?shop=1');

    // The refusal is the CALLBACK_ALLOW_PRIVATE policy, not a rule of its own.
    const allowed = ok(await kios({ ...env, CALLBACK_ALLOW_PRIVATE: 'true' }, ['reseller', 'webhook', r.id, 'http://127.0.0.1/x']));
    expect(allowed.trim()).toBe('webhook: http://127.0.0.1/x');
    expect((await show(r.id)).webhook_url).toBe('http://127.0.0.1/x');

    expect(ok(await kios(env, ['reseller', 'webhook', r.id, 'none'])).trim()).toBe('webhook: (none)');
    expect((await show(r.id)).webhook_url).toBeNull();
  });

  it('rotate-key: the old key stops working at once, the new one works', async () => {
    const r = await createJson('rotate', ['--balance', '4242']);
    expect((await user(r.api_key)).status).toBe(200);

    const out = ok(await kios(env, ['reseller', 'rotate-key', (await show(r.id)).email as string]));
    const key2 = out.match(new RegExp(`^new api key for ${r.id}: (kios_[\\w-]+)$`, 'm'))?.[1];
    expect(key2, out).toBeDefined();
    expect(key2).not.toBe(r.api_key);
    const old = await user(r.api_key);
    expect(old.status).toBe(404);
    expect(old.json.message).toBe('API_KEY_NOT_FOUND');
    const now = await user(key2!);
    expect(now.status).toBe(200);
    expect(now.json.data.user_balance).toBe(4242);

    const rotated = okJson<Record<string, string>>(await kios(env, ['reseller', 'rotate-key', r.id, '--json']));
    expect(Object.keys(rotated).sort()).toEqual(['api_key', 'id']);
    expect(rotated.id).toBe(r.id);
    expect((await user(key2!)).json.message).toBe('API_KEY_NOT_FOUND');
    expect((await user(rotated.api_key!)).status).toBe(200);

    // `show` masks the key: recognisable, not usable.
    const shown = await show(r.id);
    expect(shown.api_key_masked).toBe(`${rotated.api_key!.slice(0, 9)}…${rotated.api_key!.slice(-4)}`);
    expect(JSON.stringify(shown)).not.toContain(rotated.api_key);
    expectRefused(await kios(env, ['reseller', 'rotate-key', 'nobody@example.com']), /no reseller with id or email/);
  });

  it('ledger verify says OK and exits 0 after all of the above', async () => {
    const r = await kios(env, ['ledger', 'verify']);
    expect(ok(r).trim()).toBe('ledger OK');
    expect(okJson(await kios(env, ['ledger', 'verify', '--json']))).toEqual({ ok: true, violations: [] });
    await t.expectLedgerConsistent();
  });
});
