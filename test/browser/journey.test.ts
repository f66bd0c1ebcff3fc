import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/log.js';
import { totpCode } from '../../src/auth/totp.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { linkToken, PASSWORD } from '../helpers/dashboard.js';
import { TestKios } from '../helpers/kios.js';
import { supplierAttemptsOf } from '../helpers/pipeline.js';
import { eventually } from '../helpers/wait.js';
import { launchBrowser, screenshot, watchConsole, type TestBrowser } from './harness.js';

/**
 * Issue 10's whole journey, in chromium against one real kios (SQLite), two people in two
 * browser contexts: a reseller sets itself up on /member (new key, whitelist, webhook, deposit
 * request), orders through the API with the new key; an operator on /admin confirms the deposit,
 * settles the pending order, refunds the successful one and watches Ringkasan move; the reseller
 * sees the balance and every ledger line. The ledger verifies at the end. Then the operator's
 * Operator and Akun saya pages (invite, disable, TOTP enrolment), photographed for the README.
 */
let t: TestKios;
let sink: CallbackSink;
let chrome: TestBrowser;

beforeAll(async () => {
  // A long pending window: an order for a destination ending in 555 waits for the operator.
  [t, sink, chrome] = await Promise.all([TestKios.start('sqlite', { SIMULATOR_PENDING_MS: '600000' }), CallbackSink.start(), launchBrowser()]);
  await t.kios.deposits.banks.add({ code: 'bca', bank: 'BCA', number: '8870123456', holder: 'PT Kios Nusantara' });
}, 60_000);
afterAll(async () => {
  await chrome?.close();
  await sink?.close();
  await t?.close();
});

const rupiah = (n: number) => `${n < 0 ? '-' : ''}Rp ${Math.abs(n).toLocaleString('id-ID')}`;
const card = (page: Page, id: string) => page.getByTestId(`card-${id}`).locator('dd');
const menu = (page: Page) => page.getByRole('navigation', { name: 'Menu utama' });

async function setUp(page: Page, url: string, heading: string): Promise<void> {
  await page.goto(url.replace(/^http:\/\/[^/]+/, t.url));
  await page.getByLabel('Kata sandi baru').fill(PASSWORD);
  await page.getByLabel('Ulangi kata sandi').fill(PASSWORD);
  await page.getByRole('button', { name: 'Simpan dan masuk' }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe('the dashboards, end to end', () => {
  it('reseller sets up, orders with its new key; operator confirms, settles, refunds; the reseller sees it all', async () => {
    const email = 'toko.journey@example.com';
    const r = await t.reseller({ email, name: 'Toko Perjalanan', balance: 50_000 });

    // --- The reseller, in its own browser: logs in with the password it chose.
    const { url: memberLink } = await t.kios.members.invite(r.id, CLI_ACTOR);
    const rp = await (await chrome.context()).newPage();
    const rProblems = watchConsole(rp);
    await setUp(rp, memberLink, 'Beranda');
    await rp.getByRole('button', { name: 'Keluar' }).click();
    await rp.getByLabel('Email').fill(email);
    await rp.getByLabel('Kata sandi').fill(PASSWORD);
    await rp.getByRole('button', { name: 'Masuk' }).click();
    await rp.getByRole('heading', { level: 1, name: 'Beranda' }).waitFor();
    expect(await rp.getByTestId('balance').textContent()).toBe('Rp 50.000');
    await screenshot(rp, 'journey-1-member-home');

    // Kredensial: a new key; the old one is dead at once.
    await menu(rp).getByRole('link', { name: 'Kredensial' }).click();
    await rp.getByLabel('Kata sandi').fill(PASSWORD);
    await rp.getByRole('button', { name: 'Ganti API key' }).click();
    await rp.getByRole('button', { name: 'Ya, ganti key' }).click();
    await rp.getByText('API key sudah diganti').waitFor();
    const key = await rp.getByTestId('api-key').inputValue();
    expect(key).not.toBe(r.apiKey);
    expect((await t.request('GET', '/v1/user', { key: r.apiKey })).status).toBe(404);

    // Whitelist IP: its own address (the API calls below come from it).
    await menu(rp).getByRole('link', { name: 'Whitelist IP' }).click();
    await rp.getByRole('button', { name: 'Pakai alamat saya' }).click();
    await rp.getByRole('button', { name: 'Tambah' }).click();
    await rp.getByTestId('whitelist').getByText('127.0.0.1').waitFor();

    // Webhook: a loopback receiver, and a test callback it answers.
    await menu(rp).getByRole('link', { name: 'Webhook' }).click();
    await rp.getByRole('textbox', { name: 'URL callback' }).fill(`${sink.url}/kios`);
    await rp.getByRole('button', { name: 'Simpan' }).click();
    await expect.poll(() => rp.getByTestId('webhook-url').textContent()).toBe(`${sink.url}/kios`);
    await rp.getByRole('button', { name: 'Kirim callback uji' }).click();
    await rp.getByTestId('webhook-result').getByText('200').waitFor();
    expect(JSON.parse(sink.received.at(-1)!.body)).toMatchObject({ test: true, status: 'TEST' });
    await screenshot(rp, 'journey-2-member-webhook');

    // Deposit: a ticket with a unique total.
    await menu(rp).getByRole('link', { name: 'Deposit' }).click();
    await rp.getByLabel('Jumlah (Rp)').fill('100000');
    await rp.getByRole('button', { name: 'Minta tiket deposit' }).click();
    const totalText = (await rp.getByTestId('ticket-total').textContent())!;
    const [ticket] = (await t.kios.deposits.list({ resellerId: r.id })).tickets;
    expect(rupiah(ticket!.total)).toBe(totalText);
    await screenshot(rp, 'journey-3-member-deposit');

    // Orders through the reseller API with the NEW key: one succeeds, one stays pending (…555).
    const ok = await t.order(key, { product_code: 'S1_1187', user_id: '123456789', server_id: '1234' });
    expect(ok.status).toBe(201);
    const okInvoice = ok.json.data.invoice_number as string;
    const okOrder = await t.settle(okInvoice);
    expect(okOrder.status).toBe('SUCCESS');
    const pend = await t.order(key, { product_code: 'FF70', user_id: '24680555' });
    expect(pend.status).toBe(201);
    const pendInvoice = pend.json.data.invoice_number as string;
    const pendOrder = await t.orderRow(pendInvoice);
    await eventually(async () => expect((await supplierAttemptsOf(t.kios.db.kysely, pendOrder.id))[0]?.state).toBe('sent'));
    expect((await t.orderRow(pendInvoice)).status).toBe('PENDING');
    const afterOrders = 50_000 - okOrder.price - pendOrder.price;
    expect(await t.balance(r.id)).toBe(afterOrders);

    // --- The operator, in another browser.
    const { setupUrl } = await t.kios.operators.create({ email: 'ratna@example.com', name: 'Ratna', role: 'owner' }, CLI_ACTOR);
    const op = await (await chrome.context()).newPage();
    const oProblems = watchConsole(op);
    await setUp(op, setupUrl, 'Ringkasan');
    expect(await card(op, 'revenue').textContent()).toBe(rupiah(okOrder.price));
    expect(await card(op, 'pending').textContent()).toMatch(/^1/);
    await screenshot(op, 'journey-4-admin-overview-before');

    // Deposit: confirm the reseller's ticket.
    await menu(op).getByRole('link', { name: 'Deposit' }).click();
    await op.getByTestId(`total-${ticket!.id}`).getByText(totalText).waitFor();
    await op.getByRole('button', { name: 'Konfirmasi', exact: true }).click();
    await op.getByRole('button', { name: 'Ya, lanjutkan' }).click();
    await op.getByText('Tidak ada tiket.').waitFor();
    expect(await t.balance(r.id)).toBe(afterOrders + ticket!.total);

    // Pesanan: the reseller's orders by its destination; settle the pending one as delivered.
    await menu(op).getByRole('link', { name: 'Pesanan' }).click();
    await op.getByLabel('Invoice').fill(pendInvoice);
    await op.getByRole('button', { name: 'Cari' }).click();
    await op.getByRole('link', { name: pendInvoice }).click();
    await op.getByRole('heading', { name: 'Selesaikan pesanan tertunda' }).waitFor();
    await op.getByLabel('Hasil').selectOption('success');
    await op.getByLabel('Alasan').fill('Supplier mengonfirmasi terkirim');
    await op.getByLabel('Saya yakin').check();
    await op.getByRole('button', { name: 'Selesaikan' }).click();
    await op.getByTestId('order-status').getByText('SUCCESS').waitFor();
    await screenshot(op, 'journey-5-admin-resolved');

    // Refund the one that succeeded on its own.
    await op.goto(`${t.url}/admin/orders/${okInvoice}`);
    await op.getByRole('heading', { name: 'Kembalikan dana pesanan berhasil' }).waitFor();
    await op.getByLabel('Alasan').fill('Pelanggan salah nomor');
    await op.getByLabel('Saya yakin').check();
    await op.getByRole('button', { name: 'Kembalikan dana' }).click();
    await op.getByTestId('order-status').getByText('REFUNDED').waitFor();

    // Ringkasan moved: the refunded order left revenue, the settled one came in; nothing pending.
    await menu(op).getByRole('link', { name: 'Ringkasan' }).click();
    await card(op, 'revenue').getByText(rupiah(pendOrder.price), { exact: true }).waitFor();
    expect(await card(op, 'pending').textContent()).toMatch(/^0/);
    await screenshot(op, 'journey-6-admin-overview-after');

    // --- The reseller again: the new balance, and every movement in Mutasi.
    const final = afterOrders + ticket!.total + okOrder.price;
    expect(await t.balance(r.id)).toBe(final);
    await menu(rp).getByRole('link', { name: 'Beranda' }).click();
    await rp.getByTestId('balance').getByText(rupiah(final)).waitFor();
    await menu(rp).getByRole('link', { name: 'Mutasi' }).click();
    const mutasi = rp.getByRole('main');
    await mutasi.getByRole('cell', { name: 'Pengembalian dana' }).waitFor();
    // Newest first: the refund, the confirmed deposit, the two purchases, the opening balance.
    const rows = (await mutasi.getByRole('row').allTextContents()).slice(1);
    const line = (kind: string, amount: number, after: number) => expect.stringMatching(new RegExp(`^.+${kind}${rupiah(amount)}${rupiah(after)}`));
    expect(rows).toEqual([
      line('Pengembalian dana', okOrder.price, final),
      line('Deposit', ticket!.total, final - okOrder.price),
      line('Pembelian', -pendOrder.price, afterOrders),
      line('Pembelian', -okOrder.price, 50_000 - okOrder.price),
      line('Deposit', 50_000, 50_000),
    ]);
    await screenshot(rp, 'journey-7-member-mutasi');

    expect(rProblems).toEqual([]);
    expect(oProblems).toEqual([]);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('owner manages operators and turns on TOTP on Akun saya; staff are told it is owner-only; a reseller changes its password', async () => {
    const { setupUrl } = await t.kios.operators.create({ email: 'sari@example.com', name: 'Sari', role: 'owner' }, CLI_ACTOR);
    const op = await (await chrome.context()).newPage();
    const problems = watchConsole(op);
    await setUp(op, setupUrl, 'Ringkasan');

    // Invite a staff member: its one-time link is shown, and works.
    await menu(op).getByRole('link', { name: 'Operator' }).click();
    await op.getByRole('heading', { level: 1, name: 'Operator' }).waitFor();
    await op.getByLabel('Email', { exact: true }).fill('budi@example.com');
    await op.getByLabel('Nama', { exact: true }).fill('Budi');
    await op.getByRole('button', { name: 'Undang', exact: true }).click();
    const link = await op.getByTestId('operator-setup-link').inputValue();
    expect(link).toMatch(/\/admin\/setup#token=[\w-]{43}$/);
    await op.getByRole('row').filter({ hasText: 'budi@example.com' }).getByText('Diundang').waitFor();
    await screenshot(op, 'admin-operators');

    const staff = await (await chrome.context()).newPage();
    await setUp(staff, link, 'Ringkasan');
    await menu(staff).getByRole('link', { name: 'Operator' }).click();
    await staff.getByText('Hanya pemilik yang dapat mengelola operator.').waitFor();

    // The owner disables Budi (asked first); Budi's next request finds itself logged out.
    await op.reload();
    const budi = op.getByRole('row').filter({ hasText: 'budi@example.com' });
    await budi.getByText('Aktif', { exact: true }).waitFor();
    await budi.getByRole('button', { name: 'Nonaktifkan' }).click();
    await budi.getByRole('button', { name: 'Ya, lanjutkan' }).click();
    await budi.getByText('Nonaktif', { exact: true }).waitFor();
    expect((await t.kios.operators.get('budi@example.com')).disabled).toBe(true);
    // No disable button on the owner's own row.
    expect(await op.getByRole('row').filter({ hasText: 'sari@example.com' }).getByRole('button', { name: 'Nonaktifkan' }).count()).toBe(0);
    await menu(staff).getByRole('link', { name: 'Ringkasan' }).click();
    await staff.getByRole('heading', { name: 'Masuk' }).or(staff.getByRole('button', { name: 'Masuk' })).first().waitFor();

    // Akun saya: TOTP on, with the QR code drawn inline (the CSP allows no other way).
    await menu(op).getByRole('link', { name: 'Akun saya' }).click();
    await op.getByRole('button', { name: 'Aktifkan TOTP' }).click();
    const qr = op.getByTestId('totp-qr').locator('svg');
    await qr.waitFor();
    const grouped = (await op.getByTestId('totp-secret').textContent())!;
    expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    await screenshot(op, 'admin-account');
    const secret = grouped.replace(/ /g, '');
    await op.getByLabel('Kode 6 angka').fill(totpCode(secret, Date.now()));
    await op.getByRole('button', { name: 'Konfirmasi dan aktifkan' }).click();
    await op.getByText('TOTP aktif.').waitFor();
    expect((await t.kios.operators.get('sari@example.com')).totpEnabled).toBe(true);
    await op.getByRole('button', { name: 'Matikan TOTP' }).waitFor();
    expect(problems).toEqual([]);

    // A reseller's Akun: a new password; the old one stops working.
    const r = await t.reseller({ email: 'akun@example.com', name: 'Toko Akun' });
    const { url } = await t.kios.members.invite(r.id, CLI_ACTOR);
    const rp = await (await chrome.context()).newPage();
    await setUp(rp, url, 'Beranda');
    await menu(rp).getByRole('link', { name: 'Akun' }).click();
    await rp.getByLabel('Kata sandi sekarang').fill(PASSWORD);
    await rp.getByLabel('Kata sandi baru', { exact: true }).fill('kata sandi yang baru');
    await rp.getByLabel('Ulangi kata sandi baru').fill('kata sandi yang lain');
    await rp.getByRole('button', { name: 'Ganti kata sandi' }).click();
    await rp.getByText('Kedua kata sandi baru tidak sama.').waitFor();
    await rp.getByLabel('Ulangi kata sandi baru').fill('kata sandi yang baru');
    await rp.getByRole('button', { name: 'Ganti kata sandi' }).click();
    await rp.getByText('Kata sandi sudah diganti.', { exact: false }).waitFor();
    expect(await t.kios.members.login('akun@example.com', PASSWORD)).toBeNull();
    expect(await t.kios.members.login('akun@example.com', 'kata sandi yang baru')).toBe(r.id);
    await screenshot(rp, 'member-account');
  });
});
