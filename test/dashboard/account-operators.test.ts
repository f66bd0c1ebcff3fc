import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { DashboardClient, linkToken, memberSession, operatorSession, PASSWORD } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * The owner's operator management from the dashboard (disable, a new set-up link, reset TOTP),
 * the TOTP enrolment's QR code, and changing a password in both realms.
 */
vi.setConfig({ testTimeout: 60_000 });

describe.each(DIALECTS)('operators page API and account (%s)', (dialect) => {
  let t: TestKios;
  beforeAll(async () => {
    t = await TestKios.start(dialect, {}, { catalog: false });
  });
  afterAll(async () => t?.close());

  const auditOf = (target: string) => t.kios.db.kysely.selectFrom('audit_log').select(['action', 'actor_id']).where('target_id', '=', target).orderBy('at').execute();
  const sessions = (subject: string) => t.kios.db.kysely.selectFrom('sessions').select('digest').where('subject_id', '=', subject).execute();

  it('an owner disables a staff member, issues it a link, resets its TOTP; staff are refused; audited', async () => {
    const owner = await operatorSession(t, 'owner');
    const staff = await operatorSession(t, 'staff');
    // Staff cannot reach any of it, and nothing changes.
    for (const path of ['disable', 'link', 'reset-totp']) {
      const r = await staff.post(`/api/admin/operators/${owner.id}/${path}`);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('FORBIDDEN');
    }
    expect((await t.kios.operators.get(owner.id)).disabled).toBe(false);

    const secret = (await staff.post('/api/admin/auth/totp/enroll')).json.secret as string;
    expect((await staff.post('/api/admin/auth/totp/confirm', { code: totpCode(secret, Date.now()) })).status).toBe(200);
    const reset = await owner.post(`/api/admin/operators/${staff.id}/reset-totp`);
    expect(reset.status).toBe(200);
    expect(reset.json.operator).toMatchObject({ id: staff.id, totpEnabled: false });
    expect(await sessions(staff.id)).toHaveLength(0);

    const link = await owner.post(`/api/admin/operators/${staff.id}/link`);
    expect(link.status).toBe(200);
    expect(link.json.setupUrl).toMatch(/\/admin\/setup#token=[\w-]{43}$/);
    const again = new DashboardClient(t, 'admin');
    expect((await again.post('/api/admin/auth/setup', { token: linkToken(link.json.setupUrl), password: PASSWORD })).status).toBe(200);

    const off = await owner.post(`/api/admin/operators/${staff.id}/disable`);
    expect(off.status).toBe(200);
    expect(off.json.operator).toMatchObject({ id: staff.id, disabled: true });
    expect((await again.get('/api/admin/auth/session')).status).toBe(401);
    expect((await owner.post(`/api/admin/operators/${staff.id}/link`)).status).toBe(409);
    expect((await owner.post('/api/admin/operators/op_nobody/disable')).json.error.code).toBe('NOT_FOUND');

    expect((await auditOf(staff.id)).filter((a) => a.actor_id === owner.id).map((a) => a.action)).toEqual(['operator.reset_totp', 'operator.setup_link', 'operator.disable']);
  });

  it('an owner cannot disable itself, nor the last owner (409, nothing changed)', async () => {
    const a = await operatorSession(t, 'owner');
    const self = await a.post(`/api/admin/operators/${a.id}/disable`);
    expect(self.status).toBe(409);
    expect(self.json.error.code).toBe('CONFLICT');
    // Every other owner disabled: a is the last one, and the CLI cannot disable it either.
    const owners = (await t.kios.operators.list()).filter((o) => o.role === 'owner' && !o.disabled && o.id !== a.id);
    for (const o of owners) expect((await a.post(`/api/admin/operators/${o.id}/disable`)).status).toBe(200);
    await expect(t.kios.operators.disable(a.id, { type: 'cli', id: null, email: null })).rejects.toThrow(/last owner/);
    expect((await t.kios.operators.get(a.id)).disabled).toBe(false);
  });

  it('two owners disabling each other at once: one wins, one owner stays', async () => {
    const [a, b] = [await operatorSession(t, 'owner'), await operatorSession(t, 'owner')];
    const others = (await t.kios.operators.list()).filter((o) => o.role === 'owner' && !o.disabled && o.id !== a.id && o.id !== b.id);
    for (const o of others) await t.kios.operators.disable(o.id, { type: 'cli', id: null, email: null });
    const [ra, rb] = await Promise.all([a.post(`/api/admin/operators/${b.id}/disable`), b.post(`/api/admin/operators/${a.id}/disable`)]);
    const statuses = [ra.status, rb.status].sort();
    // b may already be logged out by the time its request is checked (401): either way, one owner is left.
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const left = (await t.kios.operators.list()).filter((o) => o.role === 'owner' && !o.disabled);
    expect(left).toHaveLength(1);
  });

  it('TOTP enrolment returns the otpauth URL as an SVG QR code', async () => {
    const op = await operatorSession(t, 'staff');
    const r = await op.post('/api/admin/auth/totp/enroll');
    expect(r.status).toBe(200);
    expect(r.json.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    expect(r.json.qrSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">.*<path fill="black" d="M[\d,hvz\-M]+"\/><\/svg>$/);
    expect(r.json.qrSvg).not.toMatch(/script|style=|href/i);
  });

  for (const realm of ['admin', 'member'] as const) {
    it(`${realm}: change the password: wrong current refused and throttled, other sessions end, audited`, async () => {
      let c: DashboardClient;
      let id: string;
      let email: string;
      if (realm === 'admin') {
        const op = await operatorSession(t, 'staff');
        [c, id, email] = [op, op.id, op.email];
      } else {
        email = `pw-${Date.now()}@example.com`;
        const r = await t.reseller({ email });
        c = await memberSession(t, r.id);
        id = r.id;
      }
      const login = (password: string) => new DashboardClient(t, realm).post(`/api/${realm}/auth/login`, { email, password });
      const other = new DashboardClient(t, realm);
      expect((await other.post(`/api/${realm}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
      const path = `/api/${realm}/auth/password`;

      const short = await c.post(path, { current: PASSWORD, next: 'short' });
      expect(short.status).toBe(400);
      expect(short.json.error.issues[0].path).toBe('next');
      const wrong = await c.post(path, { current: 'not the password', next: 'a brand new password' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS');
      expect((await c.post(path, { current: PASSWORD, next: 'a brand new password' }, { csrf: false })).status).toBe(403);

      const ok = await c.post(path, { current: PASSWORD, next: 'a brand new password' });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ ok: true });
      expect((await c.get(`/api/${realm}/auth/session`)).status).toBe(200);
      expect((await other.get(`/api/${realm}/auth/session`)).status).toBe(401);
      expect((await login(PASSWORD)).status).toBe(401);
      expect((await login('a brand new password')).status).toBe(200);
      const actions = (await auditOf(id)).map((a) => a.action);
      expect(actions).toContain(realm === 'admin' ? 'operator.password_change' : 'reseller.password_change');

      // Wrong current passwords count against the log-in limit: the sixth answer is 429.
      for (let i = 0; i < 5; i++) expect((await c.post(path, { current: 'guess', next: 'a brand new password 2' })).status).toBe(401);
      expect((await c.post(path, { current: 'guess', next: 'a brand new password 2' })).status).toBe(429);
    });
  }
});
