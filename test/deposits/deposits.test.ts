import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlreadyConfirmedError } from '../../src/deposits/tickets.js';
import { postOperatorMovement } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { OperatorError } from '../../src/resellers/service.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

/**
 * Deposits by bank transfer, through the service the CLI and the dashboards call, on a real
 * database: unique totals, exactly-once credit under concurrent confirmations, expiry, cancel,
 * per-reseller scoping, and refusals that change nothing.
 */
const TTL_MIN = 60;

describe.each(DIALECTS)('deposits by bank transfer (%s)', (dialect) => {
  let t: TestKios;
  // Time moves only when a test says so (expiry), never by waiting.
  let offset = 0;
  const clock = () => Date.now() + offset;

  beforeAll(async () => {
    t = await TestKios.start(dialect, { DEPOSIT_TICKET_TTL_MIN: String(TTL_MIN) }, { catalog: false, clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  const deposits = () => t.kios.deposits;
  const refusal = async (p: Promise<unknown>, kind: OperatorError['kind'], message: RegExp) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, 'expected a refusal').toBeInstanceOf(OperatorError);
    expect((err as OperatorError).kind).toBe(kind);
    expect((err as OperatorError).message).toMatch(message);
  };
  const state = async () => {
    const k = t.kios.db.kysely;
    return {
      tickets: await k.selectFrom('deposit_tickets').select(['id', 'status', 'external_ref', 'ledger_entry_id']).orderBy('id').execute(),
      ledger: Number((await k.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
      balances: await k.selectFrom('resellers').select(['id', 'balance']).orderBy('id').execute(),
      banks: await deposits().banks.list(),
    };
  };
  const creditsOf = (ticketId: string) => t.kios.db.kysely.selectFrom('ledger_entries').selectAll().where('reference', '=', ticketId).execute();

  it('refuses a request while no bank account is configured, naming the command to run', async () => {
    const r = await t.reseller({ balance: 0 });
    const before = await state();
    await refusal(deposits().request(r.id, 50_000), 'conflict', /kios deposit bank add/);
    expect(await state()).toEqual(before);
  });

  it('keeps bank accounts in a list: validated, the first is the default, removable', async () => {
    await refusal(deposits().banks.add({ code: 'bca', bank: 'BCA', number: '12ab', holder: 'PT Kios' }), 'invalid', /account number/);
    await refusal(deposits().banks.add({ code: 'no spaces', bank: 'BCA', number: '1234567890', holder: 'PT Kios' }), 'invalid', /code/);
    expect(await deposits().banks.list()).toEqual([]);
    await deposits().banks.add({ code: 'BCA', bank: 'BCA', number: '123 456-7890', holder: 'PT Kios Jaya' });
    await deposits().banks.add({ code: 'mandiri', bank: 'Mandiri', number: '9876543210', holder: 'PT Kios Jaya' });
    await refusal(deposits().banks.add({ code: 'bca', bank: 'BCA', number: '1111111111', holder: 'x' }), 'conflict', /already exists/);
    await deposits().banks.add({ code: 'tmp', bank: 'BRI', number: '5555555555', holder: 'x' });
    await refusal(deposits().banks.remove('nope'), 'not_found', /no bank account/);
    expect((await deposits().banks.remove('TMP')).map((a) => a.code)).toEqual(['bca', 'mandiri']);
    expect((await deposits().banks.list())[0]).toEqual({ code: 'bca', bank: 'BCA', number: '1234567890', holder: 'PT Kios Jaya' });
  });

  it('issues a ticket: amount + a code of 1..999, the bank account, an expiry', async () => {
    const r = await t.reseller({ balance: 0 });
    const a = await deposits().request(r.id, 100_000);
    expect(a).toMatchObject({ resellerId: r.id, amount: 100_000, status: 'pending', method: 'bank_transfer', bank: { code: 'bca', number: '1234567890' }, confirmedAt: null, ledgerEntryId: null });
    expect(a.uniqueCode).toBeGreaterThanOrEqual(1);
    expect(a.uniqueCode).toBeLessThanOrEqual(999);
    expect(a.total).toBe(100_000 + a.uniqueCode);
    expect(a.expiresAt - a.createdAt).toBe(TTL_MIN * 60_000);
    const b = await deposits().request(r.id, 100_000, { bank: 'mandiri', note: 'top up' });
    expect(b.bank?.code).toBe('mandiri');
    expect(b.note).toBe('top up');
    expect(b.total).not.toBe(a.total);
    // Removing the account later never changes where an open ticket said to pay.
    await deposits().banks.remove('mandiri');
    expect((await deposits().get(b.id)).bank).toEqual({ code: 'mandiri', bank: 'Mandiri', number: '9876543210', holder: 'PT Kios Jaya' });
    await deposits().banks.add({ code: 'mandiri', bank: 'Mandiri', number: '9876543210', holder: 'PT Kios Jaya' });
  });

  it('gives 50 concurrent requests of the same amount 50 different totals', async () => {
    const resellers = await Promise.all(Array.from({ length: 5 }, () => t.reseller({ balance: 0 })));
    const amount = 250_000;
    const tickets = await Promise.all(Array.from({ length: 50 }, (_, i) => deposits().request(resellers[i % 5]!.id, amount)));
    expect(new Set(tickets.map((x) => x.total)).size).toBe(50);
    for (const x of tickets) expect(x.total).toBe(amount + x.uniqueCode);
    const pending = await t.kios.db.kysely.selectFrom('deposit_tickets').select('total').where('status', '=', 'pending').execute();
    expect(new Set(pending.map((p) => p.total)).size).toBe(pending.length);
  });

  it('credits a ticket exactly once when 20 confirmations race', async () => {
    const r = await t.reseller({ balance: 1_000 });
    const ticket = await deposits().request(r.id, 75_000);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => deposits().confirm(ticket.id, i % 2 ? 'cli' : `operator:op${i}`)));
    const won = results.filter((x) => x.status === 'fulfilled');
    const lost = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(AlreadyConfirmedError);
      expect((l.reason as OperatorError).kind).toBe('conflict');
      expect((l.reason as Error).message).toMatch(/already confirmed.*credited once/);
    }
    expect(await t.balance(r.id)).toBe(1_000 + ticket.total);
    const credits = await creditsOf(ticket.id);
    expect(credits.map((c) => [c.kind, c.amount, c.reseller_id])).toEqual([['deposit', ticket.total, r.id]]);
    const after = await deposits().get(ticket.id);
    expect(after).toMatchObject({ status: 'confirmed', ledgerEntryId: credits[0]!.id });
    expect(after.confirmedAt).not.toBeNull();
    // Later, again: reported as already confirmed, still credited once.
    await expect(deposits().confirm(ticket.id, 'cli')).rejects.toBeInstanceOf(AlreadyConfirmedError);
    expect(await t.balance(r.id)).toBe(1_000 + ticket.total);
    await refusal(deposits().cancel(ticket.id, 'cli'), 'conflict', /already confirmed/);
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('lets exactly one of racing confirmations and cancellations win', async () => {
    const r = await t.reseller({ balance: 0 });
    for (let round = 0; round < 3; round++) {
      const ticket = await deposits().request(r.id, 20_000);
      const before = await t.balance(r.id);
      await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? deposits().confirm(ticket.id, 'cli') : deposits().cancel(ticket.id, 'cli'))));
      const final = await deposits().get(ticket.id);
      expect(['confirmed', 'cancelled']).toContain(final.status);
      expect(await t.balance(r.id)).toBe(before + (final.status === 'confirmed' ? ticket.total : 0));
      expect(await creditsOf(ticket.id)).toHaveLength(final.status === 'confirmed' ? 1 : 0);
    }
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('never credits an expired ticket, and frees its total', async () => {
    const r = await t.reseller({ balance: 500 });
    const ticket = await deposits().request(r.id, 30_000);
    offset += TTL_MIN * 60_000 + 1;
    try {
      // Not swept yet when it is read: still shown as expired.
      expect((await deposits().get(ticket.id)).status).toBe('expired');
      await refusal(deposits().confirm(ticket.id, 'cli'), 'conflict', /expired.*nothing was credited.*kios reseller deposit/);
      await refusal(deposits().cancel(ticket.id, 'cli'), 'conflict', /expired/);
      const row = await t.kios.db.kysely.selectFrom('deposit_tickets').select('status').where('id', '=', ticket.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('expired');
      expect(await t.balance(r.id)).toBe(500);
      expect(await creditsOf(ticket.id)).toEqual([]);
      const expired = await deposits().list({ resellerId: r.id, status: 'expired' });
      expect(expired.tickets.map((x) => x.id)).toEqual([ticket.id]);
      expect((await deposits().list({ resellerId: r.id, status: 'pending' })).tickets).toEqual([]);
    } finally {
      offset -= TTL_MIN * 60_000 + 1;
    }
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
  });

  it('never credits a cancelled ticket; cancelling twice is harmless', async () => {
    const r = await t.reseller({ balance: 0 });
    const ticket = await deposits().request(r.id, 40_000);
    const c = await deposits().cancel(ticket.id, `reseller:${r.id}`, { resellerId: r.id });
    expect(c).toMatchObject({ status: 'cancelled', cancelledBy: `reseller:${r.id}` });
    expect(await deposits().cancel(ticket.id, 'cli')).toMatchObject({ status: 'cancelled', cancelledBy: `reseller:${r.id}` });
    await refusal(deposits().confirm(ticket.id, 'cli'), 'conflict', /cancelled.*nothing was credited/);
    expect(await t.balance(r.id)).toBe(0);
    expect(await creditsOf(ticket.id)).toEqual([]);
  });

  it("keeps a reseller away from another reseller's tickets", async () => {
    const a = await t.reseller({ balance: 0 });
    const b = await t.reseller({ balance: 0 });
    const mine = await deposits().request(a.id, 60_000);
    const theirs = await deposits().request(b.id, 60_000);
    expect((await deposits().get(mine.id, { resellerId: a.id })).id).toBe(mine.id);
    await refusal(deposits().get(theirs.id, { resellerId: a.id }), 'not_found', /no deposit ticket/);
    await refusal(deposits().cancel(theirs.id, `reseller:${a.id}`, { resellerId: a.id }), 'not_found', /no deposit ticket/);
    expect((await deposits().get(theirs.id)).status).toBe('pending');
    const list = await deposits().list({ resellerId: a.id });
    expect(list.tickets.map((x) => x.id)).toEqual([mine.id]);
    // A reseller never confirms (only the operator, the CLI or a gateway).
    await refusal(deposits().confirm(mine.id, `reseller:${a.id}`), 'invalid', /may not/);
    expect((await deposits().get(mine.id)).status).toBe('pending');
  });

  it('refuses bad input and changes nothing', async () => {
    const r = await t.reseller({ balance: 0 });
    const pending = await deposits().request(r.id, 80_000);
    const before = await state();
    for (const amount of [9_999, 100_000_001, 15_000.5, Number.NaN, -20_000, 0, '20000' as unknown as number]) {
      await refusal(deposits().request(r.id, amount), 'invalid', /whole number of rupiah from Rp 10\.000 to Rp 100\.000\.000/);
    }
    await refusal(deposits().request('rs_nobody', 20_000), 'not_found', /no reseller/);
    await refusal(deposits().request(r.id, 20_000, { bank: 'bni' }), 'invalid', /unknown bank account "bni" \(known: bca, mandiri\)/);
    await refusal(deposits().request(r.id, 20_000, { note: 'x'.repeat(201) }), 'invalid', /note/);
    await refusal(deposits().get('dep_nothing'), 'not_found', /no deposit ticket/);
    await refusal(deposits().confirm('dep_nothing', 'cli'), 'not_found', /no deposit ticket/);
    await refusal(deposits().cancel('dep_nothing', 'cli'), 'not_found', /no deposit ticket/);
    await refusal(deposits().confirm(pending.id, 'somebody'), 'invalid', /may not/);
    await refusal(deposits().confirm(pending.id, 'cli', { paid: 1.5 }), 'invalid', /paid amount/);
    await refusal(deposits().confirm(pending.id, 'cli', { externalRef: 'x'.repeat(101) }), 'invalid', /external reference/);
    await refusal(deposits().list({ status: 'paid' }), 'invalid', /unknown status/);
    await refusal(deposits().list({ cursor: 'garbage!' }), 'invalid', /not a cursor/);
    expect(await state()).toEqual(before);
  });

  it('refuses a paid amount that is not exactly the total', async () => {
    const r = await t.reseller({ balance: 0 });
    const ticket = await deposits().request(r.id, 90_000);
    const before = await state();
    await refusal(deposits().confirm(ticket.id, 'cli', { paid: ticket.total - 1 }), 'invalid', /expects exactly Rp/);
    await refusal(deposits().confirm(ticket.id, 'cli', { paid: ticket.amount }), 'invalid', /expects exactly/);
    expect(await state()).toEqual(before);
    const ok = await deposits().confirm(ticket.id, 'gateway:midtrans', { paid: ticket.total, externalRef: 'MT-1' });
    expect(ok.ticket).toMatchObject({ status: 'confirmed', confirmedBy: 'gateway:midtrans', externalRef: 'MT-1' });
    expect(ok.balance).toBe(ticket.total);
  });

  it('lets one payment reference confirm one ticket only', async () => {
    const r = await t.reseller({ balance: 0 });
    const a = await deposits().request(r.id, 55_000);
    const b = await deposits().request(r.id, 55_000);
    await deposits().confirm(a.id, 'cli', { externalRef: 'BCA-TRF-777' });
    const before = await state();
    await refusal(deposits().confirm(b.id, 'cli', { externalRef: 'BCA-TRF-777' }), 'conflict', new RegExp(`already confirmed deposit ${a.id}`));
    expect(await state()).toEqual(before);
    expect((await deposits().get(b.id)).status).toBe('pending');
  });

  it('pages through tickets newest first, with no gaps or repeats', async () => {
    const r = await t.reseller({ balance: 0 });
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await deposits().request(r.id, 11_000 + i));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await deposits().list({ resellerId: r.id, limit: 3, cursor });
      expect(page.tickets.length).toBeLessThanOrEqual(3);
      seen.push(...page.tickets.map((x) => x.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(made.map((x) => x.id).reverse());
    const all = await deposits().list({ status: 'pending', limit: 1000 });
    expect(all.tickets.every((x) => x.status === 'pending')).toBe(true);
  });

  // Last: it leaves a forged credit behind on purpose.
  it('ledger verify catches a credit that does not match its ticket', async () => {
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([]);
    const r = await t.reseller({ balance: 0 });
    const ticket = await deposits().request(r.id, 33_000);
    await t.kios.db.transaction((trx) => postOperatorMovement(trx, { resellerId: r.id, kind: 'deposit', amount: ticket.total, reference: ticket.id, at: Date.now() }));
    const violations = await verifyLedger(t.kios.db.kysely);
    expect(violations).toEqual([{ kind: 'deposit_ticket', subject: ticket.id, detail: `pending but credited ${ticket.total} in 1 entr(ies)` }]);
    await t.kios.db.kysely.updateTable('deposit_tickets').set({ status: 'confirmed', total: ticket.total }).where('id', '=', ticket.id).execute();
    expect(await verifyLedger(t.kios.db.kysely)).toEqual([{ kind: 'deposit_ticket', subject: ticket.id, detail: `names ledger entry none but was credited by ${(await creditsOf(ticket.id))[0]!.id}` }]);
  });
});
