import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { PASSWORD, linkToken, operatorSession } from '../helpers/dashboard.js';
import { TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { launchBrowser, screenshot, watchConsole, type TestBrowser } from './harness.js';

/**
 * The operator's day, in chromium against a real kios (SQLite; the API suite covers PostgreSQL):
 * log in, read today's numbers, find a reseller's order by invoice, resolve a pending one, refund
 * a successful one, and see the numbers move; the failing callbacks, ledger and audit pages.
 */
let kios: TestKios;
let chrome: TestBrowser;

beforeAll(async () => {
  // A long pending window: orders for a destination ending in 555 wait for the operator.
  [kios, chrome] = await Promise.all([TestKios.start('sqlite', { SIMULATOR_PENDING_MS: '600000' }), launchBrowser()]);
});
afterAll(async () => {
  await chrome?.close();
  await kios?.close();
});

const card = (page: Page, id: string) => page.getByTestId(`card-${id}`).locator('dd');

async function login(ctx: BrowserContext, role: 'owner' | 'staff', name: string): Promise<{ page: Page; problems: string[] }> {
  const email = `${name.toLowerCase()}@example.com`;
  const { setupUrl } = await kios.kios.operators.create({ email, name, role }, CLI_ACTOR);
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${kios.url}/admin/setup#token=${linkToken(setupUrl)}`);
  await page.getByLabel('Kata sandi baru').fill(PASSWORD);
  await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
  await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
  await page.getByRole('heading', { name: 'Ringkasan' }).waitFor();
  return { page, problems };
}

describe('operator operations', () => {
  it('finds an order by invoice, resolves a pending one, refunds a success, and sees the numbers change', async () => {
    const r = await kios.reseller({ name: 'Toko Sinar', balance: 200_000 });
    const ok = await kios.order(r.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' });
    const okInvoice = ok.json.data.invoice_number as string;
    await kios.settle(okInvoice);
    const p = await kios.order(r.apiKey, { product_code: 'FF70', user_id: '24680555' });
    const pendingInvoice = p.json.data.invoice_number as string;
    const po = await kios.orderRow(pendingInvoice);
    await eventually(async () => expect((await supplierAttemptsOf(kios.kios.db.kysely, po.id))[0]?.state).toBe('sent'));

    const ctx = await chrome.context();
    const { page, problems } = await login(ctx, 'owner', 'Ratna');
    expect(await card(page, 'revenue').textContent()).toBe('Rp 1.511');
    expect(await card(page, 'margin').textContent()).toBe('Rp 46');
    expect(await card(page, 'pending').textContent()).toMatch(/^1/);
    expect(await page.getByRole('img', { name: 'Grafik pendapatan 7 hari terakhir' }).count()).toBe(1);
    await screenshot(page, 'admin-overview');

    // Pesanan: search by invoice.
    await page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Pesanan' }).click();
    await page.getByLabel('Invoice').fill(pendingInvoice);
    await page.getByRole('button', { name: 'Cari' }).click();
    await page.getByRole('link', { name: pendingInvoice }).waitFor();
    expect(await page.getByTestId('status').allTextContents()).toEqual(['PENDING']);
    await screenshot(page, 'admin-orders');
    await page.getByRole('link', { name: pendingInvoice }).click();

    // Resolve: the reason and the confirmation are asked for first.
    await page.getByRole('heading', { name: 'Selesaikan pesanan tertunda' }).waitFor();
    await page.getByLabel('Hasil').selectOption('partial');
    await page.getByLabel('Jumlah dikembalikan (rupiah, untuk sebagian)').fill('405');
    await page.getByRole('button', { name: 'Selesaikan' }).click();
    await page.getByText('Isi alasannya.').waitFor();
    await page.getByLabel('Alasan').fill('Terkirim 69 dari 70');
    await page.getByRole('button', { name: 'Selesaikan' }).click();
    await page.getByText('Centang konfirmasi dulu.').waitFor();
    await page.getByLabel('Saya yakin').check();
    await screenshot(page, 'admin-order-resolve');
    await page.getByRole('button', { name: 'Selesaikan' }).click();
    await page.getByTestId('order-status').getByText('PARTIAL_SUCCESS').waitFor();
    expect((await kios.orderRow(pendingInvoice)).refunded_amount).toBe(405);

    // Refund the success (owner).
    await page.goto(`${kios.url}/admin/orders/${okInvoice}`);
    await page.getByRole('heading', { name: 'Kembalikan dana pesanan berhasil' }).waitFor();
    await page.getByLabel('Alasan').fill('Supplier membatalkan');
    await page.getByLabel('Saya yakin').check();
    await page.getByRole('button', { name: 'Kembalikan dana' }).click();
    await page.getByTestId('order-status').getByText('REFUNDED').waitFor();
    await screenshot(page, 'admin-order');
    expect(await kios.balance(r.id)).toBe(200_000 - (9405 - 405));

    // The overview moved: the refunded order left revenue, the partial one came in net.
    await page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Ringkasan' }).click();
    await card(page, 'revenue').getByText('Rp 9.000').waitFor();
    expect(await card(page, 'margin').textContent()).toBe(`Rp ${(9000 - 9122).toLocaleString('id-ID')}`.replace('Rp -', '-Rp '));
    expect(await card(page, 'pending').textContent()).toMatch(/^0/);

    // Ledger: verify now.
    await page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Ledger' }).click();
    await page.getByRole('button', { name: 'Periksa sekarang' }).click();
    await page.getByTestId('ledger-last').getByText('Cocok').waitFor();
    await screenshot(page, 'admin-ledger');

    // Audit: both actions, with the operator and the reason.
    await page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'order.refund', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'Terkirim 69 dari 70', exact: true }).waitFor();
    await screenshot(page, 'admin-audit');
    expect(problems).toEqual([]);
    await kios.expectLedgerConsistent();
  });

  it('staff sees no refund button and no audit log; the failing callbacks page resends', async () => {
    const r = await kios.reseller({ name: 'Toko Hujan', balance: 50_000 });
    const ok = await kios.order(r.apiKey, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234', callback_url: 'http://127.0.0.1:9/cb' });
    const invoice = ok.json.data.invoice_number as string;
    await kios.settle(invoice);
    const owner = await operatorSession(kios, 'owner');
    await eventually(async () => {
      const f = await owner.get('/api/admin/callbacks/failing');
      expect(f.json.items.some((i: { invoiceNumber: string; nextRetryAt: number | null }) => i.invoiceNumber === invoice && i.nextRetryAt === null)).toBe(true);
    }, 15_000);

    const ctx = await chrome.context();
    const { page, problems } = await login(ctx, 'staff', 'Budi');
    await page.goto(`${kios.url}/admin/orders/${invoice}`);
    await page.getByText('Hanya pemilik yang dapat mengembalikan dana.').waitFor();
    expect(await page.getByRole('button', { name: 'Kembalikan dana' }).count()).toBe(0);
    await page.goto(`${kios.url}/admin/audit`);
    await page.getByText('Hanya pemilik yang dapat melihat log audit.').waitFor();

    await page.goto(`${kios.url}/admin/callbacks`);
    await page.getByRole('link', { name: invoice }).waitFor();
    await screenshot(page, 'admin-callbacks');
    const before = await kios.kios.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'callback.resend').execute();
    await page.getByRole('row').filter({ hasText: invoice }).getByRole('button', { name: 'Kirim ulang callback' }).click();
    await eventually(async () => {
      const after = await kios.kios.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'callback.resend').execute();
      expect(after.length).toBe(before.length + 1);
    });
    expect(problems.filter((x) => !/409/.test(x))).toEqual([]);
  });
});
