import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { DashboardClient, linkToken, PASSWORD } from '../helpers/dashboard.js';
import { TestKios } from '../helpers/kios.js';
import { hasFocus, htmlLang, launchBrowser, pageWidth, screenshot, watchConsole, type TestBrowser } from './harness.js';

/**
 * Log-in and set-up as a person does them, in chromium against a real kios (SQLite; the API
 * suites cover PostgreSQL): follow the set-up link, choose a password, land on the home page,
 * switch language, log out, log in again by keyboard, mistype the password; the operator with a
 * second factor gets the code field and gets in with an authenticator's code.
 */
let kios: TestKios;
let chrome: TestBrowser;

beforeAll(async () => {
  [kios, chrome] = await Promise.all([TestKios.start('sqlite', {}, { catalog: false }), launchBrowser()]);
});
afterAll(async () => {
  await chrome?.close();
  await kios?.close();
});

async function open(ctx: BrowserContext, path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${kios.url}${path}`);
  return { page, problems };
}

/** Keyboard only: Tab until `label`'s field has focus (a bounded number of times), then type. */
async function tabTo(page: Page, label: string, text: string): Promise<void> {
  const target = page.getByLabel(label, { exact: true });
  for (let i = 0; i < 15 && !(await hasFocus(target)); i++) await page.keyboard.press('Tab');
  expect(await hasFocus(target)).toBe(true);
  await page.keyboard.type(text);
}

describe('reseller', () => {
  it('sets a password through the link, sees the balance, switches language, logs out and back in by keyboard', async () => {
    const r = await kios.reseller({ name: 'Toko Maju Jaya', email: 'tokomaju@example.com', balance: 1_234_567 });
    const email = (await kios.kios.resellers.get(r.id)).email;
    const { url } = await kios.kios.members.invite(r.id, CLI_ACTOR);
    const ctx = await chrome.context();
    const { page, problems } = await open(ctx, `/member/setup#token=${linkToken(url)}`);

    // The app renders once it has asked for the session: wait for it, do not sample the page.
    await page.getByRole('heading', { name: 'Buat kata sandi' }).waitFor();
    // Mistyped second password: said in Indonesian, nothing sent.
    await page.getByLabel('Kata sandi baru').fill(PASSWORD);
    await page.getByLabel('Ulangi kata sandi').fill(`${PASSWORD}x`);
    await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
    await page.getByText('Kedua kata sandi tidak sama.').waitFor();
    await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Simpan dan masuk' }).click();

    await page.getByRole('heading', { name: 'Beranda' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/member');
    expect(await page.getByTestId('balance').textContent()).toBe('Rp 1.234.567');
    await expect(page.getByText('Toko Maju Jaya').first().isVisible()).resolves.toBe(true);
    const menu = page.getByRole('navigation', { name: 'Menu utama' });
    expect(await menu.getByRole('link').allTextContents()).toEqual(['Beranda', 'Mutasi', 'Pesanan', 'Daftar Harga', 'Kredensial', 'Whitelist IP', 'Webhook', 'Deposit', 'Redeem', 'Akun']);
    await screenshot(page, 'member-home');

    // The balance is the server's now, not the one of log-in time.
    await kios.kios.db.kysely.updateTable('resellers').set({ balance: 2_000_000 }).where('id', '=', r.id).execute();
    await menu.getByRole('link', { name: 'Mutasi' }).click();
    await page.getByRole('heading', { name: 'Mutasi' }).waitFor();
    await menu.getByRole('link', { name: 'Beranda' }).click();
    await page.getByText('Rp 2.000.000').waitFor();

    // English, kept across a reload, and back.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    expect(await htmlLang(page)).toBe('en');
    await page.reload();
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    expect(await page.getByTestId('balance').textContent()).toBe('Rp 2.000.000');
    await page.getByRole('button', { name: 'Bahasa Indonesia' }).click();
    await page.getByRole('heading', { name: 'Beranda' }).waitFor();
    expect(await htmlLang(page)).toBe('id');

    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByText('Anda sudah keluar.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/member/login');
    // The session is gone on the server: the home page sends us back to log-in.
    await page.goto(`${kios.url}/member`);
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    expect(await page.getByText('Sesi Anda berakhir').count()).toBe(0);
    await screenshot(page, 'member-login');

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Kata sandi').fill('not the password');
    // Clicked twice: one request (the button is disabled while the first runs).
    const logins: string[] = [];
    page.on('request', (req) => req.url().endsWith('/api/member/auth/login') && logins.push(req.method()));
    await page.getByRole('button', { name: 'Masuk' }).dblclick();
    await page.getByRole('alert').getByText('Email atau kata sandi salah.').waitFor();
    expect(logins).toEqual(['POST']);
    expect(new URL(page.url()).pathname).toBe('/member/login');

    // Keyboard only, on a fresh load.
    await page.goto(`${kios.url}/member/login`);
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    await tabTo(page, 'Email', email);
    await tabTo(page, 'Kata sandi', PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Beranda' }).waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('comes back to the page it was sent away from, and fits a 360 px phone', async () => {
    const r = await kios.reseller({ name: 'Warung Pulsa', email: 'warungpulsa@example.com', balance: 15_000 });
    const email = (await kios.kios.resellers.get(r.id)).email;
    const { url } = await kios.kios.members.invite(r.id, CLI_ACTOR);
    const api = new DashboardClient(kios, 'member');
    expect((await api.post('/api/member/auth/setup', { token: linkToken(url), password: PASSWORD })).status).toBe(200);

    const ctx = await chrome.context({ phone: true });
    const { page, problems } = await open(ctx, '/member/webhook');
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('heading', { name: 'Webhook' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/member/webhook');
    // The page's own GET has answered: ending the session before it does would send the page
    // to log-in by itself (rightly), and there would be no menu left to click.
    await page.getByTestId('webhook-url').waitFor();

    // The session ends on the server (e.g. the operator disabled the account) while the page is open.
    await kios.kios.sessions.endAll('member', r.id);
    await page.getByRole('link', { name: 'Beranda' }).click();
    await page.getByText('Sesi Anda berakhir. Silakan masuk lagi.').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('heading', { name: 'Beranda' }).waitFor();
    expect(await page.getByTestId('balance').textContent()).toBe('Rp 15.000');
    // Nothing wider than the screen (the menu scrolls inside itself).
    expect(await pageWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'member-home-phone');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('says so when the set-up link was already used', async () => {
    const r = await kios.reseller();
    const { url } = await kios.kios.members.invite(r.id, CLI_ACTOR);
    expect((await new DashboardClient(kios, 'member').post('/api/member/auth/setup', { token: linkToken(url), password: PASSWORD })).status).toBe(200);
    const ctx = await chrome.context();
    const { page } = await open(ctx, `/member/setup#token=${linkToken(url)}`);
    await page.getByLabel('Kata sandi baru').fill('another password');
    await page.getByLabel('Ulangi kata sandi').fill('another password');
    await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
    await page.getByText('Tautan ini sudah tidak berlaku').waitFor();
    expect(new URL(page.url()).pathname).toBe('/member/setup');
    await ctx.close();
  });
});

describe('operator', () => {
  it('sets a password, turns on TOTP, and then logs in with an authenticator code', async () => {
    const email = 'sari@example.com';
    const { setupUrl } = await kios.kios.operators.create({ email, name: 'Sari', role: 'owner' }, CLI_ACTOR);
    const ctx = await chrome.context();
    const { page, problems } = await open(ctx, `/admin/setup#token=${linkToken(setupUrl)}`);
    await page.getByLabel('Kata sandi baru').fill(PASSWORD);
    await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
    await page.getByRole('heading', { name: 'Ringkasan' }).waitFor();
    expect(await page.getByTestId('role').textContent()).toBe('Pemilik');
    const menu = page.getByRole('navigation', { name: 'Menu utama' });
    expect(await menu.getByRole('link').allTextContents()).toEqual(['Ringkasan', 'Pesanan', 'Reseller', 'Deposit', 'Katalog', 'Supplier', 'Callback', 'Audit', 'Ledger', 'Operator', 'Akun saya']);
    await screenshot(page, 'admin-home');

    // Enrolment through the API, as the operator's own session (its page comes later).
    const api = new DashboardClient(kios, 'admin');
    expect((await api.post('/api/admin/auth/login', { email, password: PASSWORD })).status).toBe(200);
    const { secret } = (await api.post('/api/admin/auth/totp/enroll')).json as { secret: string };
    const authenticator = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
    const confirmed = await api.post('/api/admin/auth/totp/confirm', { code: authenticator.generate() });
    expect(confirmed.status, confirmed.text).toBe(200);

    // Turning TOTP on ended the operator's other sessions, this page's among them: logging out
    // still just logs out.
    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByText('Anda sudah keluar.').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Kata sandi').fill('wrong password!');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('alert').getByText('Email atau kata sandi salah.').waitFor();

    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    const code = page.getByLabel('Kode autentikator (6 angka)');
    await code.waitFor();
    await screenshot(page, 'admin-login-totp');
    await code.fill('000000' === authenticator.generate() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('alert').waitFor();
    // A code is accepted once: the one confirming the enrolment is spent, the next step's is not.
    await code.fill(authenticator.generate({ timestamp: Date.now() + 30_000 }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ringkasan' }).waitFor();
    await page.getByText('Aktif', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    expect(await page.getByTestId('role').textContent()).toBe('Owner');
    await page.getByRole('button', { name: 'Bahasa Indonesia' }).click();
    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    await page.getByLabel('Email').fill('');
    await screenshot(page, 'admin-login');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('keeps a reseller session out of /admin and an operator session out of /member', async () => {
    const ctx = await chrome.context();
    const { setupUrl } = await kios.kios.operators.create({ email: 'staf@example.com', role: 'staff' }, CLI_ACTOR);
    const { page } = await open(ctx, `/admin/setup#token=${linkToken(setupUrl)}`);
    await page.getByLabel('Kata sandi baru').fill(PASSWORD);
    await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
    await page.getByRole('heading', { name: 'Ringkasan' }).waitFor();
    expect(await page.getByTestId('role').textContent()).toBe('Staf');
    await page.goto(`${kios.url}/member`);
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/member/login');
    await ctx.close();
  });
});
