import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { DashboardClient, linkToken, PASSWORD } from '../helpers/dashboard.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/**
 * `kios admin ...` and `kios reseller invite`, run as child processes against a fresh database,
 * with the API running in-process on the same database: every link the CLI prints is used for real.
 */
vi.setConfig({ testTimeout: 180_000 });

describe.each(DIALECTS)('kios admin / reseller invite (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;
  let t: TestKios;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db, { PUBLIC_URL: 'https://kios.example.com/' });
    t = await TestKios.start(dialect, {}, { existing: db, catalog: false });
  });
  afterAll(async () => {
    await killAll();
    await t?.stop();
    await db?.drop();
  });

  const setup = async (realm: 'member' | 'admin', url: string) => {
    const c = new DashboardClient(t, realm);
    const r = await c.post(`/api/${realm}/auth/setup`, { token: linkToken(url), password: PASSWORD });
    return { c, r };
  };

  it('admin create prints a one-time set-up link on PUBLIC_URL; it sets the password once', async () => {
    const out = ok(await kios(env, ['admin', 'create', '--email', 'Boss@Example.com', '--name', 'Bu Boss']));
    expect(out).toMatch(/^created operator op_\w+ \(owner\)$/m);
    const url = out.match(/^(https:\/\/kios\.example\.com\/admin\/setup#token=[\w-]+)$/m)?.[1];
    expect(url, out).toBeDefined();
    const { c, r } = await setup('admin', url!);
    expect(r.status).toBe(200);
    expect(r.json.session.operator).toEqual({ id: expect.stringMatching(/^op_/), name: 'Bu Boss', email: 'boss@example.com', role: 'owner', totpEnabled: false });
    expect((await c.get('/api/admin/operators')).status).toBe(200);
    expect((await setup('admin', url!)).r.status).toBe(400);

    expectRefused(await kios(env, ['admin', 'create', '--email', 'boss@example.com']), /already exists/);
    expectRefused(await kios(env, ['admin', 'create', '--email', 'not-an-email']), /not a valid address/);
    expectRefused(await kios(env, ['admin', 'create', '--email', 'x@example.com', '--role', 'king']), /Allowed choices are owner, staff/);
  });

  it('admin list, link (forgotten password), reset-totp and disable', async () => {
    const created = okJson(await kios(env, ['admin', 'create', '--email', 'staf@example.com', '--role', 'staff', '--json']));
    expect(created).toMatchObject({ email: 'staf@example.com', role: 'staff', setup_url: expect.stringContaining('/admin/setup#token=') });
    let list = okJson<{ email: string; active: boolean }[]>(await kios(env, ['admin', 'list', '--json']));
    expect(list.find((o) => o.email === 'staf@example.com')).toMatchObject({ active: false, role: 'staff' });
    expect(ok(await kios(env, ['admin', 'list']))).toMatch(/staf@example\.com.*staff.*invited/);

    // A new link voids the first one.
    const link = okJson(await kios(env, ['admin', 'link', 'staf@example.com', '--json']));
    expect((await setup('admin', created.setup_url)).r.status).toBe(400);
    const { c } = await setup('admin', link.setup_url);
    list = okJson(await kios(env, ['admin', 'list', '--json']));
    expect(list.find((o) => o.email === 'staf@example.com')!.active).toBe(true);

    // TOTP on, then the phone is lost: reset-totp removes it and logs the operator out.
    const secret = (await c.post('/api/admin/auth/totp/enroll')).json.secret as string;
    expect((await c.post('/api/admin/auth/totp/confirm', { code: totpCode(secret, Date.now()) })).status).toBe(200);
    const login = () => new DashboardClient(t, 'admin').post('/api/admin/auth/login', { email: 'staf@example.com', password: PASSWORD });
    expect((await login()).json.error.code).toBe('TOTP_REQUIRED');
    expect(ok(await kios(env, ['admin', 'reset-totp', 'staf@example.com']))).toMatch(/removed/);
    expect((await c.get('/api/admin/auth/session')).status).toBe(401);
    const again = await login();
    expect(again.status).toBe(200);

    expect(ok(await kios(env, ['admin', 'disable', 'staf@example.com']))).toMatch(/disabled staf@example\.com/);
    expect((await login()).json.error.code).toBe('INVALID_CREDENTIALS');
    expectRefused(await kios(env, ['admin', 'link', 'staf@example.com']), /disabled/);
    expectRefused(await kios(env, ['admin', 'disable', 'nobody@example.com']), /no operator/);

    // Every change is in the audit log, as done by the command line.
    const actions = (await t.kios.audit.list({ limit: 100 })).items.filter((e) => e.actor.type === 'cli').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['operator.create', 'operator.setup_link', 'operator.reset_totp', 'operator.disable']));
  });

  it('reseller invite prints the member set-up link (by id or email)', async () => {
    const r = okJson(await kios(env, ['reseller', 'create', '--name', 'Toko Undang', '--email', 'undang@example.com', '--json']));
    const out = ok(await kios(env, ['reseller', 'invite', r.id]));
    const url = out.match(/^(https:\/\/kios\.example\.com\/member\/setup#token=[\w-]+)$/m)?.[1];
    expect(url, out).toBeDefined();
    const { c, r: res } = await setup('member', url!);
    expect(res.status).toBe(200);
    expect(res.json.session.reseller).toMatchObject({ id: r.id, email: 'undang@example.com' });
    expect((await c.get('/api/member/auth/session')).status).toBe(200);
    const json = okJson(await kios(env, ['reseller', 'invite', 'undang@example.com', '--json']));
    expect(json).toMatchObject({ id: r.id, email: 'undang@example.com', setup_url: expect.stringContaining('/member/setup#token=') });
    expectRefused(await kios(env, ['reseller', 'invite', 'nobody@example.com']), /no reseller/);
  });

  it('TZ must be a real time zone', async () => {
    expectRefused(await kios(cliEnv(db, { TZ: 'Mars/Olympus' }), ['admin', 'list']), /TZ: must be an IANA time zone/);
    ok(await kios(cliEnv(db, { TZ: 'Asia/Makassar' }), ['admin', 'list']));
  });
});
