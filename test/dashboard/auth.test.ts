import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { SESSION_IDLE_MS } from '../../src/auth/sessions.js';
import { ACCOUNT_FAILURES, IP_FAILURES } from '../../src/auth/throttle.js';
import { totpCode } from '../../src/auth/totp.js';
import { DashboardClient, linkToken, memberSession, operatorSession, PASSWORD } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Log-in, sessions, CSRF and TOTP of both dashboards, over HTTP against a whole kios. The
 * kios's clock runs `skew` ms ahead of real time so a test can move past an idle timeout or to
 * the next TOTP step without waiting.
 */
vi.setConfig({ testTimeout: 60_000 });

describe.each(DIALECTS)('dashboard auth (%s)', (dialect) => {
  let t: TestKios;
  // Behind a trusted proxy: X-Forwarded-For / -Proto are believed (throttle per IP, Secure cookies).
  let proxied: TestKios;
  let skew = 0;
  const clock = () => Date.now() + skew;

  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, { clock, catalog: false });
    proxied = await TestKios.start(dialect, { TRUST_PROXY: 'on' }, { catalog: false });
  });
  afterAll(async () => {
    await t?.close();
    await proxied?.close();
  });

  const sessionsOf = (k: TestKios, subject: string) => k.kios.db.kysely.selectFrom('sessions').selectAll().where('subject_id', '=', subject).execute();

  it('member: set-up link -> password -> session -> logout, then log-in by email and password', async () => {
    const r = await t.reseller({ email: 'Toko.Satu@Example.com', balance: 250_000, role: 'gold' });
    const { url } = await t.kios.members.invite(r.id, CLI_ACTOR);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/member\/setup#token=[\w-]{43}$/);
    const c = new DashboardClient(t, 'member');
    const setup = await c.post('/api/member/auth/setup', { token: linkToken(url), password: PASSWORD });
    expect(setup.status).toBe(200);
    expect(setup.json.session).toEqual({
      csrfToken: expect.any(String),
      timeZone: 'Asia/Jakarta',
      reseller: { id: r.id, name: 'Test Reseller', email: 'toko.satu@example.com', tier: { code: 'gold', name: expect.any(String) }, balance: 250_000 },
    });
    // The row is keyed by the token's digest: the cookie's value is nowhere in the database.
    const token = c.cookie!.split('=')[1]!;
    const rows = await sessionsOf(t, r.id);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    const hash = await t.kios.db.kysely.selectFrom('resellers').select('password_hash').where('id', '=', r.id).executeTakeFirstOrThrow();
    expect(hash.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    expect((await c.get('/api/member/auth/session')).json.session.reseller.id).toBe(r.id);
    const out = await c.post('/api/member/auth/logout');
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ ok: true });
    expect(c.lastSetCookie[0]).toMatch(/^kios_member=; Max-Age=0; Path=\/api\/member/);
    expect(await sessionsOf(t, r.id)).toHaveLength(0);
    // The old cookie, replayed, is dead: the row is gone.
    const replay = await fetch(`${t.url}/api/member/auth/session`, { headers: { cookie: `kios_member=${token}` } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });

    const again = new DashboardClient(t, 'member');
    const wrong = await again.post('/api/member/auth/login', { email: 'toko.satu@example.com', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS');
    expect(again.cookie).toBeNull();
    const unknown = await again.post('/api/member/auth/login', { email: 'nobody@example.com', password: PASSWORD });
    expect(unknown.json.error.code).toBe('INVALID_CREDENTIALS');
    const ok = await again.post('/api/member/auth/login', { email: 'TOKO.SATU@example.com', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect((await again.get('/api/member/auth/session')).status).toBe(200);
  });

  it('a used, superseded or expired set-up link is refused and changes nothing', async () => {
    const r = await t.reseller();
    const first = await t.kios.members.invite(r.id, CLI_ACTOR);
    const second = await t.kios.members.invite(r.id, CLI_ACTOR);
    const c = new DashboardClient(t, 'member');
    // A new link voids the earlier one.
    const superseded = await c.post('/api/member/auth/setup', { token: linkToken(first.url), password: PASSWORD });
    expect(superseded.status).toBe(400);
    expect(superseded.json.error).toMatchObject({ code: 'VALIDATION', issues: [{ path: 'token', message: expect.any(String) }] });
    expect((await c.post('/api/member/auth/setup', { token: linkToken(second.url), password: PASSWORD })).status).toBe(200);
    const reused = await new DashboardClient(t, 'member').post('/api/member/auth/setup', { token: linkToken(second.url), password: 'another password here' });
    expect(reused.status).toBe(400);
    expect(reused.json.error.code).toBe('VALIDATION');

    const third = await t.kios.members.invite(r.id, CLI_ACTOR);
    skew = 72 * 3600_000 + 1000;
    try {
      const expired = await new DashboardClient(t, 'member').post('/api/member/auth/setup', { token: linkToken(third.url), password: 'another password here' });
      expect(expired.status).toBe(400);
    } finally {
      skew = 0;
    }
    // Still the first password: neither refused link set anything.
    expect((await new DashboardClient(t, 'member').post('/api/member/auth/login', { email: (await t.kios.resellers.get(r.id)).email, password: PASSWORD })).status).toBe(200);
    // An admin link is no member link.
    const op = await t.kios.operators.create({ email: 'cross-realm@example.com', role: 'staff' }, CLI_ACTOR);
    expect((await new DashboardClient(t, 'member').post('/api/member/auth/setup', { token: linkToken(op.setupUrl), password: PASSWORD })).status).toBe(400);
    // Too short a password: refused, and the link is still good.
    const fourth = await t.kios.members.invite(r.id, CLI_ACTOR);
    const short = await new DashboardClient(t, 'member').post('/api/member/auth/setup', { token: linkToken(fourth.url), password: 'short' });
    expect(short.status).toBe(400);
    expect(short.json.error.issues).toEqual([{ path: 'password', message: expect.stringMatching(/at least 10/) }]);
    expect((await new DashboardClient(t, 'member').post('/api/member/auth/setup', { token: linkToken(fourth.url), password: 'a new password' })).status).toBe(200);
  });

  it('setting a password through a link ends the account\'s other sessions', async () => {
    const r = await t.reseller();
    const a = await memberSession(t, r.id);
    const b = await memberSession(t, r.id, 'yet another password');
    expect((await a.get('/api/member/auth/session')).status).toBe(401);
    expect((await b.get('/api/member/auth/session')).status).toBe(200);
  });

  it('a session ends after 12 hours idle', async () => {
    const r = await t.reseller();
    const c = await memberSession(t, r.id);
    skew = SESSION_IDLE_MS - 60_000;
    try {
      expect((await c.get('/api/member/auth/session')).status).toBe(200);
      skew = 2 * SESSION_IDLE_MS - 120_000; // used just before: still alive (idle, not absolute)
      expect((await c.get('/api/member/auth/session')).status).toBe(200);
      skew = 3 * SESSION_IDLE_MS;
      expect((await c.get('/api/member/auth/session')).status).toBe(401);
    } finally {
      skew = 0;
    }
    expect(await sessionsOf(t, r.id)).toHaveLength(0);
  });

  it('cookies: HttpOnly, SameSite=Lax, the realm\'s Path; Secure only over HTTPS as told by a trusted proxy', async () => {
    const r = await t.reseller();
    const m = await memberSession(t, r.id);
    expect(m.lastSetCookie).toHaveLength(1);
    const attrs = (c: string) => c.split(';').slice(1).map((s) => s.trim());
    expect(attrs(m.lastSetCookie[0]!)).toEqual(expect.arrayContaining(['Path=/api/member', 'HttpOnly', 'SameSite=Lax']));
    expect(attrs(m.lastSetCookie[0]!)).not.toContain('Secure');
    // Not trusted: a client's own X-Forwarded-Proto changes nothing.
    const o = new DashboardClient(t, 'member');
    await o.post('/api/member/auth/login', { email: (await t.kios.resellers.get(r.id)).email, password: PASSWORD }, { headers: { 'x-forwarded-proto': 'https' } });
    expect(attrs(o.lastSetCookie[0]!)).not.toContain('Secure');

    const admin = await operatorSession(t);
    expect(attrs(admin.lastSetCookie[0]!)).toEqual(expect.arrayContaining(['Path=/api/admin', 'HttpOnly', 'SameSite=Lax']));

    const pr = await proxied.reseller();
    const { url } = await proxied.kios.members.invite(pr.id, CLI_ACTOR);
    const p = new DashboardClient(proxied, 'member');
    await p.post('/api/member/auth/setup', { token: linkToken(url), password: PASSWORD }, { headers: { 'x-forwarded-proto': 'https' } });
    expect(attrs(p.lastSetCookie[0]!)).toEqual(expect.arrayContaining(['Path=/api/member', 'HttpOnly', 'SameSite=Lax', 'Secure']));
  });

  it('every state-changing request without the CSRF token or JSON content type is refused and changes nothing', async () => {
    const owner = await operatorSession(t, 'owner');
    const r = await t.reseller();
    const member = await memberSession(t, r.id);
    const operatorsBefore = (await t.kios.operators.list()).length;
    const writes: [DashboardClient, string, unknown][] = [
      [member, '/api/member/auth/logout', {}],
      [owner, '/api/admin/auth/logout', {}],
      [owner, '/api/admin/auth/totp/enroll', {}],
      [owner, '/api/admin/auth/totp/confirm', { code: '123456' }],
      [owner, '/api/admin/auth/totp/disable', { password: PASSWORD, code: '123456' }],
      [owner, '/api/admin/operators', { email: 'csrf-probe@example.com', role: 'owner' }],
    ];
    for (const [c, path, body] of writes) {
      const noToken = await c.post(path, body, { csrf: false });
      expect(noToken.status, path).toBe(403);
      expect(noToken.json.error.code, path).toBe('CSRF');
      const wrongToken = await c.post(path, body, { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(43) } });
      expect(wrongToken.json.error.code, path).toBe('CSRF');
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
        const form = await c.post(path, body, { contentType });
        expect(form.status, `${path} ${contentType}`).toBe(403);
        expect(form.json.error.code).toBe('CSRF');
      }
    }
    // Log-in and set-up carry no token, but must be JSON too.
    const formLogin = await new DashboardClient(t, 'admin').post('/api/admin/auth/login', { email: owner.email, password: PASSWORD }, { contentType: 'text/plain' });
    expect(formLogin.json.error.code).toBe('CSRF');
    expect(formLogin.headers.get('set-cookie')).toBeNull();

    // Nothing changed: both sessions alive, no operator created, no TOTP pending.
    expect((await member.get('/api/member/auth/session')).status).toBe(200);
    expect((await owner.get('/api/admin/auth/session')).status).toBe(200);
    expect(await t.kios.operators.list()).toHaveLength(operatorsBefore);
    const row = await t.kios.db.kysely.selectFrom('operators').select('totp_pending_enc').where('id', '=', owner.id).executeTakeFirstOrThrow();
    expect(row.totp_pending_enc).toBeNull();
  });

  it('log-in brute force is throttled per account (429 even with the right password) and per IP', async () => {
    const r = await proxied.reseller();
    await memberSession(proxied, r.id);
    const email = (await proxied.kios.resellers.get(r.id)).email;
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const login = (password: string, ip: string, who = email) => new DashboardClient(proxied, 'member').post('/api/member/auth/login', { email: who, password }, from(ip));
    // Per account: failures from many addresses add up.
    for (let i = 0; i < ACCOUNT_FAILURES; i++) expect((await login('wrong password', `198.51.100.${i + 1}`)).status).toBe(401);
    const locked = await login(PASSWORD, '198.51.100.200');
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('TOO_MANY_REQUESTS');
    // The admin realm counts its own accounts.
    const op = await operatorSession(proxied, 'staff');
    expect((await new DashboardClient(proxied, 'admin').post('/api/admin/auth/login', { email: op.email, password: PASSWORD }, from('198.51.100.201'))).status).toBe(200);

    // Per IP: one address trying many accounts.
    const other = await proxied.reseller();
    await memberSession(proxied, other.id);
    const otherEmail = (await proxied.kios.resellers.get(other.id)).email;
    for (let i = 0; i < IP_FAILURES; i++) expect((await login('wrong password', '203.0.113.9', `nobody${i}@example.com`)).status).toBe(401);
    expect((await login(PASSWORD, '203.0.113.9', otherEmail)).status).toBe(429);
    expect((await new DashboardClient(proxied, 'admin').post('/api/admin/auth/login', { email: op.email, password: PASSWORD }, from('203.0.113.9'))).status).toBe(429);
    expect((await login(PASSWORD, '203.0.113.10', otherEmail)).status).toBe(200);
  });

  it('an API key never opens the dashboard, and a dashboard cookie never calls the reseller API', async () => {
    const r = await t.reseller({ balance: 500_000 });
    const member = await memberSession(t, r.id);
    for (const auth of [r.apiKey, `Bearer ${r.apiKey}`]) {
      const res = await t.request('GET', '/api/member/auth/session', { headers: { authorization: auth } });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHENTICATED');
    }
    const before = await t.snapshot();
    const order = await t.request('POST', '/v2/order', {
      headers: { cookie: member.cookie!, 'x-csrf-token': member.csrf! },
      body: { product_code: 'ML5', user_id: '12345678', server_id: '1234', trx_id: 'cookie-probe' },
    });
    expect(order.status).toBe(404);
    expect(order.json.message).toBe('API_KEY_NOT_FOUND');
    expect(await t.snapshot()).toEqual(before);
    // Nor does one realm's cookie open the other.
    const res = await t.request('GET', '/api/admin/auth/session', { headers: { cookie: member.cookie!.replace('kios_member', 'kios_admin') } });
    expect(res.status).toBe(401);
  });

  it('TOTP: enroll -> confirm -> log-in needs the code; a code is never accepted twice', async () => {
    const op = await operatorSession(t, 'staff');
    const other = new DashboardClient(t, 'admin');
    expect((await other.post('/api/admin/auth/login', { email: op.email, password: PASSWORD })).status).toBe(200);
    const enrol = await op.post('/api/admin/auth/totp/enroll');
    expect(enrol.status).toBe(200);
    const { secret, otpauthUrl } = enrol.json as { secret: string; otpauthUrl: string };
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/kios:.+\?.*secret=/);
    // Stored encrypted, never in clear.
    const row = await t.kios.db.kysely.selectFrom('operators').selectAll().where('id', '=', op.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);

    const bad = await op.post('/api/admin/auth/totp/confirm', { code: '000000' === totpCode(secret, clock()) ? '111111' : '000000' });
    expect(bad.status).toBe(400);
    const confirmAt = clock();
    const confirmed = await op.post('/api/admin/auth/totp/confirm', { code: totpCode(secret, confirmAt) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json.session.operator.totpEnabled).toBe(true);
    // Other sessions ended; this one lives.
    expect((await other.get('/api/admin/auth/session')).status).toBe(401);
    expect((await op.get('/api/admin/auth/session')).status).toBe(200);

    const login = (totp?: string) => new DashboardClient(t, 'admin').post('/api/admin/auth/login', { email: op.email, password: PASSWORD, ...(totp === undefined ? {} : { totp }) });
    const none = await login();
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('TOTP_REQUIRED');
    // Wrong password with TOTP on: no hint that a code is needed.
    const wrongPw = await new DashboardClient(t, 'admin').post('/api/admin/auth/login', { email: op.email, password: 'wrong password' });
    expect(wrongPw.json.error.code).toBe('INVALID_CREDENTIALS');
    // The confirm's code is spent; the next step's code works once.
    expect((await login(totpCode(secret, confirmAt))).json.error?.code).toBe('INVALID_CREDENTIALS');
    skew = 30_000;
    try {
      const code = totpCode(secret, clock());
      const ok = await login(code);
      expect(ok.status).toBe(200);
      const replay = await login(code);
      expect(replay.status).toBe(401);
      expect(replay.json.error.code).toBe('INVALID_CREDENTIALS');
      skew = 60_000;
      const wrongCode = await op.post('/api/admin/auth/totp/disable', { password: 'wrong password', code: totpCode(secret, clock()) });
      expect(wrongCode.status).toBe(400);
      skew = 90_000;
      const off = await op.post('/api/admin/auth/totp/disable', { password: PASSWORD, code: totpCode(secret, clock()) });
      expect(off.status).toBe(200);
      expect(off.json.session.operator.totpEnabled).toBe(false);
      expect((await login()).status).toBe(200);
    } finally {
      skew = 0;
    }
    // `kios admin reset-totp` path: a lost phone.
    expect((await op.post('/api/admin/auth/totp/enroll')).status).toBe(200);
    const { entries } = { entries: (await t.kios.audit.list({ limit: 500 })).items.filter((e) => e.target.id === op.id).map((e) => e.action) };
    expect(entries).toEqual(expect.arrayContaining(['operator.totp_enable', 'operator.totp_disable', 'operator.create']));
  });

  it('staff is refused owner-only routes; an owner invites an operator, audited', async () => {
    const staff = await operatorSession(t, 'staff');
    const owner = await operatorSession(t, 'owner');
    const count = (await t.kios.operators.list()).length;
    const list = await staff.get('/api/admin/operators');
    expect(list.status).toBe(403);
    expect(list.json).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    const invite = await staff.post('/api/admin/operators', { email: 'staff-invites@example.com', role: 'owner' });
    expect(invite.status).toBe(403);
    expect((await staff.get('/api/admin/audit')).status).toBe(403);
    expect(await t.kios.operators.list()).toHaveLength(count);

    const ok = await owner.post('/api/admin/operators', { email: 'New.Staff@example.com', role: 'staff', name: 'New Staff' });
    expect(ok.status).toBe(200);
    expect(ok.json.operator).toMatchObject({ email: 'new.staff@example.com', role: 'staff', active: false, totpEnabled: false });
    expect(ok.json.setupUrl).toMatch(/\/admin\/setup#token=/);
    const dup = await owner.post('/api/admin/operators', { email: 'new.staff@example.com', role: 'staff' });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('CONFLICT');
    const listed = await owner.get('/api/admin/operators');
    expect(listed.json.items.map((o: { email: string }) => o.email)).toContain('new.staff@example.com');
    const audit = await owner.get('/api/admin/audit?limit=2');
    expect(audit.status).toBe(200);
    const all = await t.kios.audit.list({ limit: 500 });
    expect(all.items.find((e) => e.target.id === ok.json.operator.id)).toMatchObject({ action: 'operator.create', actor: { type: 'operator', id: owner.id, email: owner.email }, target: { type: 'operator', id: ok.json.operator.id } });
    expect(audit.json.nextCursor).toEqual(expect.any(String));
    const next = await owner.get(`/api/admin/audit?limit=2&cursor=${audit.json.nextCursor}`);
    // Newest first, pages never overlap.
    expect([...audit.json.items, ...next.json.items].map((e: { id: string }) => e.id)).toEqual(all.items.slice(0, audit.json.items.length + next.json.items.length).map((e) => e.id));
    expect((await owner.get('/api/admin/audit?cursor=bogus')).json.error.code).toBe('VALIDATION');

    // The new operator sets up, and is disabled: logged out at once, cannot log in.
    const c = new DashboardClient(t, 'admin');
    expect((await c.post('/api/admin/auth/setup', { token: linkToken(ok.json.setupUrl), password: PASSWORD })).status).toBe(200);
    await t.kios.operators.disable('new.staff@example.com', CLI_ACTOR);
    expect((await c.get('/api/admin/auth/session')).status).toBe(401);
    expect((await new DashboardClient(t, 'admin').post('/api/admin/auth/login', { email: 'new.staff@example.com', password: PASSWORD })).json.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('bad input answers 400 VALIDATION with issues; unknown routes 404; never a stack', async () => {
    const c = new DashboardClient(t, 'admin');
    const missing = await c.post('/api/admin/auth/login', {});
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('VALIDATION');
    expect(missing.json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['email', 'password']);
    const junk = await t.request('POST', '/api/member/auth/login', { rawBody: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(junk.status).toBe(400);
    expect(junk.json.error.code).toBe('VALIDATION');
    const nf = await t.request('GET', '/api/member/nothing-here');
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    // The reseller API's own envelope is untouched.
    const api = await t.request('GET', '/v1/nothing-here');
    expect(api.json).toEqual({ statusCode: 404, message: 'ROUTE_NOT_FOUND', error: 'Not Found' });
  });
});
