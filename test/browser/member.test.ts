import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { linkToken, PASSWORD } from '../helpers/dashboard.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { launchBrowser, screenshot, watchConsole, type TestBrowser } from './harness.js';

/**
 * A reseller on the /member dashboard, in a real browser against a real kios (SQLite): logs in,
 * rotates the API key, whitelists its own address, sets a webhook and sends a test callback,
 * requests a deposit; every main page is photographed for the README.
 */
describe('reseller dashboard in a browser', () => {
  let t: TestKios;
  let sink: CallbackSink;
  let b: TestBrowser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let r: Reseller;
  const email = 'toko.maju@example.com';

  beforeAll(async () => {
    t = await TestKios.start('sqlite', { CALLBACK_ALLOW_PRIVATE: 'true' });
    sink = await CallbackSink.start();
    await t.kios.deposits.banks.add({ code: 'bca', bank: 'BCA', number: '8870123456', holder: 'PT Kios Nusantara' });
    r = await t.reseller({ email, name: 'Toko Maju', balance: 250_000 });
    // A few orders and a redeem project, so the pages have something to show.
    for (const user of ['12345678', '87654321', '11223344']) {
      const placed = await t.order(r.apiKey, { product_code: 'S1_1187', user_id: user, server_id: '1234' });
      await t.settle(placed.json.data.invoice_number);
    }
    await t.kios.redeem.createProject({ id: r.id, roleCode: 'platinum' }, ['KGVOUCHER0001AAAA', 'KGVOUCHER0002BBBB'], null);
    const { url } = await t.kios.members.invite(r.id, CLI_ACTOR);
    const setup = await fetch(`${t.url}/api/member/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: linkToken(url), password: PASSWORD }) });
    expect(setup.status).toBe(200);
    b = await launchBrowser();
    ctx = await b.context();
    page = await ctx.newPage();
    problems = watchConsole(page);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await sink?.close();
    await t?.close();
  });

  const go = async (path: string, heading: RegExp) => {
    await page.goto(`${t.url}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };

  it('logs in and sees the balance and recent orders', async () => {
    await page.goto(`${t.url}/member/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('heading', { level: 1, name: 'Beranda' }).waitFor();
    await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/^Rp \d{3}\.\d{3}$/);
    await page.getByRole('link', { name: /^KIOS_/ }).first().waitFor();
    await screenshot(page, 'member-home');
  });

  it('shows Mutasi, orders with an order\'s history, prices and redeem projects', async () => {
    await go('/member/mutasi', /Mutasi/);
    await page.getByRole('cell', { name: 'Pembelian' }).first().waitFor();
    await screenshot(page, 'member-mutasi');
    await go('/member/orders', /Pesanan/);
    await page.getByRole('searchbox', { name: 'Cari' }).fill('87654321');
    await page.getByRole('button', { name: 'Cari' }).click();
    await expect.poll(() => page.getByRole('link', { name: /^KIOS_/ }).count()).toBe(1);
    await screenshot(page, 'member-orders');
    await page.getByRole('link', { name: /^KIOS_/ }).click();
    await page.getByRole('heading', { name: 'Riwayat status' }).waitFor();
    await page.getByText('Pesanan dibuat').waitFor();
    await screenshot(page, 'member-order');
    await go('/member/prices', /Daftar Harga/);
    await page.getByRole('cell', { name: 'S1_1187' }).waitFor();
    await screenshot(page, 'member-prices');
    await go('/member/redeem', /Redeem/);
    await page.getByRole('main').getByRole('link', { name: /^R\d{6}/ }).first().click();
    await page.getByText(/KGVO\*+AAAA/).waitFor();
    await screenshot(page, 'member-redeem');
  });

  it('rotates the API key after the password and a confirmation; the old key stops working', async () => {
    await go('/member/credentials', /Kredensial/);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Ganti API key' }).click();
    await page.getByRole('button', { name: 'Ya, ganti key' }).click();
    await page.getByText('API key sudah diganti').waitFor();
    const newKey = await page.getByTestId('api-key').inputValue();
    expect(newKey).not.toBe(r.apiKey);
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(404);
    expect((await t.request('GET', '/v1/user', { key: newKey })).status).toBe(200);
    r = { ...r, apiKey: newKey };
    await screenshot(page, 'member-credentials');
  });

  it('whitelists its own address', async () => {
    await go('/member/whitelist', /Whitelist IP/);
    await page.getByText('Alamat Anda sekarang: 127.0.0.1').waitFor();
    await page.getByRole('button', { name: 'Pakai alamat saya' }).click();
    await page.getByRole('button', { name: 'Tambah' }).click();
    await page.getByTestId('whitelist').getByText('127.0.0.1').waitFor();
    expect((await t.kios.resellers.get(r.id)).ipWhitelist).toEqual(['127.0.0.1']);
    await screenshot(page, 'member-whitelist');
  });

  it('sets a webhook and sees the receiver\'s answer to a test callback', async () => {
    await go('/member/webhook', /Webhook/);
    await page.getByRole('textbox', { name: 'URL callback' }).fill(`${sink.url}/kios`);
    await page.getByRole('button', { name: 'Simpan' }).click();
    await expect.poll(() => page.getByTestId('webhook-url').textContent()).toBe(`${sink.url}/kios`);
    await page.getByRole('button', { name: 'Kirim callback uji' }).click();
    const result = page.getByTestId('webhook-result');
    await result.getByText('200').waitFor();
    await result.getByText('OK', { exact: true }).waitFor();
    expect(JSON.parse(sink.received.at(-1)!.body)).toMatchObject({ test: true, status: 'TEST' });
    await screenshot(page, 'member-webhook');
  });

  it('requests a deposit and sees the unique amount to transfer', async () => {
    await go('/member/deposits', /Deposit/);
    await page.getByLabel('Jumlah (Rp)').fill('100000');
    await page.getByRole('button', { name: 'Minta tiket deposit' }).click();
    const total = await page.getByTestId('ticket-total').textContent();
    expect(total).toMatch(/^Rp 100\.\d{3}$/);
    expect(total).not.toBe('Rp 100.000');
    await page.getByTestId('ticket').getByText('8870123456').waitFor();
    const [ticket] = (await t.kios.deposits.list({ resellerId: r.id })).tickets;
    expect(`Rp ${ticket!.total.toLocaleString('de-DE')}`).toBe(total);
    await screenshot(page, 'member-deposit');
  });

  it('had no script errors, and the ledger still verifies', async () => {
    expect(problems).toEqual([]);
    await t.expectLedgerConsistent();
  });
});
