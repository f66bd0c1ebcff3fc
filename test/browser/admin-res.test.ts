import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { linkToken, PASSWORD } from '../helpers/dashboard.js';
import { TestKios } from '../helpers/kios.js';
import { launchBrowser, screenshot, watchConsole, type TestBrowser } from './harness.js';

/**
 * The operator's management pages in chromium against a real kios (SQLite; the API suites cover
 * PostgreSQL): an owner confirms a reseller's deposit ticket and sees the balance change, creates
 * a reseller, and the main pages are photographed for the README.
 */
let kios: TestKios;
let chrome: TestBrowser;

beforeAll(async () => {
  [kios, chrome] = await Promise.all([TestKios.start('sqlite'), launchBrowser()]);
  await kios.kios.deposits.banks.add({ code: 'bca', bank: 'BCA', number: '1234567890', holder: 'PT Kios Contoh' });
});
afterAll(async () => {
  await chrome?.close();
  await kios?.close();
});

async function ownerPage(): Promise<{ page: Page; problems: string[] }> {
  const { setupUrl } = await kios.kios.operators.create({ email: `owner-${Date.now()}@example.com`, name: 'Pemilik Toko', role: 'owner' }, CLI_ACTOR);
  const ctx = await chrome.context();
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${kios.url}/admin/setup#token=${linkToken(setupUrl)}`);
  await page.getByLabel('Kata sandi baru').fill(PASSWORD);
  await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
  await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
  await page.getByRole('heading', { name: 'Ringkasan' }).waitFor();
  return { page, problems };
}

describe('operator management pages', () => {
  it('confirms a deposit ticket and sees the reseller balance change; creates a reseller', async () => {
    const r = await kios.reseller({ name: 'Toko Sinar Abadi', balance: 100_000 });
    const ticket = await kios.kios.deposits.request(r.id, 250_000);
    const { page, problems } = await ownerPage();
    const menu = page.getByRole('navigation', { name: 'Menu utama' });

    await menu.getByRole('link', { name: 'Deposit' }).click();
    await page.getByRole('heading', { name: 'Deposit', exact: true }).waitFor();
    const total = page.getByTestId(`total-${ticket.id}`);
    await total.waitFor();
    expect(await total.textContent()).toBe(`Rp ${ticket.total.toLocaleString('id-ID')}`);
    await screenshot(page, 'admin-deposits');
    await page.getByRole('button', { name: 'Konfirmasi', exact: true }).click();
    await page.getByText(`Transfer Rp ${ticket.total.toLocaleString('id-ID')} dari Toko Sinar Abadi sudah masuk?`).waitFor();
    await page.getByRole('button', { name: 'Ya, lanjutkan' }).click();
    await page.getByText('Tidak ada tiket.').waitFor();
    expect(await kios.balance(r.id)).toBe(100_000 + ticket.total);

    await menu.getByRole('link', { name: 'Reseller' }).click();
    await page.getByRole('link', { name: 'Toko Sinar Abadi' }).click();
    await page.getByRole('heading', { name: 'Toko Sinar Abadi', exact: true }).waitFor();
    expect(await page.getByTestId('reseller-balance').textContent()).toBe(`Rp ${(100_000 + ticket.total).toLocaleString('id-ID')}`);
    await screenshot(page, 'admin-reseller');

    // An adjustment with a reason, through the form.
    await page.getByLabel('Jenis').selectOption('adjust');
    await page.getByLabel('Jumlah (Rp)').fill('-1000');
    await page.getByLabel('Alasan', { exact: true }).fill('koreksi salah input');
    await page.getByRole('button', { name: 'Catat' }).click();
    await page.getByTestId('reseller-balance').getByText(`Rp ${(99_000 + ticket.total).toLocaleString('id-ID')}`).waitFor();

    await menu.getByRole('link', { name: 'Reseller' }).click();
    await page.getByLabel('Nama', { exact: true }).fill('Toko Baru Jaya');
    await page.getByLabel('Email', { exact: true }).fill('baru.jaya@example.com');
    await page.getByRole('button', { name: 'Buat reseller' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!;
    expect(key).toMatch(/^kios_/);
    expect(await page.getByTestId('new-setup-link').textContent()).toMatch(/\/member\/setup#token=/);
    expect((await kios.request('GET', '/v1/user', { key })).json.data.user_email).toBe('baru.jaya@example.com');
    await screenshot(page, 'admin-resellers');

    await menu.getByRole('link', { name: 'Katalog' }).click();
    await page.getByRole('heading', { name: 'Katalog', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'FF70', exact: true }).waitFor();
    await screenshot(page, 'admin-catalog');

    await menu.getByRole('link', { name: 'Supplier' }).click();
    await page.getByRole('heading', { name: 'Supplier', exact: true }).waitFor();
    await page.getByText('simulator', { exact: false }).first().waitFor();
    await screenshot(page, 'admin-suppliers');

    expect(problems).toEqual([]);
    await kios.expectLedgerConsistent();
  });

  it('adds a supplier account, a route through it, a markup rule; removes the rule and the route', async () => {
    const { page, problems } = await ownerPage();
    const menu = page.getByRole('navigation', { name: 'Menu utama' });
    const secret = 'browser-secret-key-0123456789';

    await menu.getByRole('link', { name: 'Supplier' }).click();
    await page.getByRole('heading', { name: 'Tambah akun supplier' }).waitFor();
    await page.getByLabel('Jenis').selectOption('kiosgame');
    await page.getByLabel('Nama (huruf kecil, angka, - atau _)').fill('toss-web');
    expect(await page.getByLabel('api_key', { exact: true }).getAttribute('type')).toBe('password');
    await page.getByLabel('api_key', { exact: true }).fill(secret);
    await page.getByLabel('base_url (opsional)').fill('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Tambah', exact: true }).click();
    await page.getByText('Supplier toss-web ditambahkan.').waitFor();
    await page.getByRole('cell', { name: 'kiosgame' }).waitFor();
    expect(await page.content()).not.toContain(secret);

    await menu.getByRole('link', { name: 'Katalog' }).click();
    await page.getByRole('button', { name: 'Rute & margin' }).click();
    await page.getByLabel('Kode', { exact: true }).fill('S4_ML172');
    await page.getByLabel('Supplier', { exact: true }).selectOption('toss-web');
    await page.getByLabel('SKU').fill('ML172');
    await page.getByLabel('Harga modal').fill('30000');
    await page.getByLabel('Urutan (opsional)').fill('1');
    await page.getByRole('button', { name: 'Tambah', exact: true }).click();
    await page.getByRole('cell', { name: 'toss-web · ML172' }).waitFor();
    await screenshot(page, 'admin-catalog-routes');

    await page.getByRole('button', { name: 'Aturan markup' }).click();
    await page.getByLabel('Level').selectOption('gold');
    await page.getByLabel('Berlaku untuk').selectOption('product');
    await page.getByLabel('Kode kategori atau produk').fill('S4_ML172');
    await page.getByLabel('Persen di atas modal').fill('10');
    await page.getByRole('button', { name: 'Tambah', exact: true }).click();
    await page.getByText('1 harga diubah').waitFor();
    const gold = async () => (await kios.kios.products.get('S4_ML172')).prices.gold;
    expect(await gold()).toBe(33_000);
    await page.getByRole('button', { name: 'Hapus', exact: true }).click();
    await page.getByRole('button', { name: 'Ya, lanjutkan' }).click();
    await page.getByText('0 harga diubah').waitFor();
    expect(await kios.kios.pricing.listRules()).toEqual([]);

    await page.getByRole('button', { name: 'Rute & margin' }).click();
    await page.getByRole('cell', { name: 'toss-web · ML172' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'toss-web' }).getByRole('button', { name: 'Hapus' }).click();
    await page.getByRole('button', { name: 'Ya, lanjutkan' }).click();
    await page.getByRole('cell', { name: 'toss-web · ML172' }).waitFor({ state: 'detached' });
    expect((await kios.kios.routes.list('S4_ML172')).map((r) => r.supplier)).toEqual(['simulator']);
    expect(problems).toEqual([]);
  });
});
