import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { cliEnv, expectRefused, kios, killAll, ok, okJson, type Env } from './harness.js';

/** `kios deposit ...` run as a child process against a fresh database, the way an operator does. */
// About 30 child processes per dialect; each is a few seconds on a busy 2-core machine.
vi.setConfig({ testTimeout: 300_000 });

describe.each(DIALECTS)('kios deposit (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Env;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    env = cliEnv(db);
  });
  afterAll(async () => {
    await killAll();
    await db?.drop();
  });

  it('takes a deposit from request to confirmation, once, with the ledger intact', async () => {
    const r = okJson<{ id: string }>(await kios(env, ['reseller', 'create', '--name', 'Toko Deposit', '--email', 'deposit@example.com', '--json']));

    expectRefused(await kios(env, ['deposit', 'request', r.id, '50000']), /no bank account receives deposits yet: the operator adds one with `kios deposit bank add/);
    expect(ok(await kios(env, ['deposit', 'bank', 'list']))).toMatch(/no bank accounts: add one with `kios deposit bank add/);
    expect(ok(await kios(env, ['deposit', 'bank', 'add', 'bca', 'BCA', '123-456-7890', 'PT Kios Jaya']))).toMatch(/^ {2}bca {2}BCA {2}1234567890 {2}PT Kios Jaya$/m);
    expect(okJson(await kios(env, ['deposit', 'bank', 'list', '--json']))).toEqual({ accounts: [{ code: 'bca', bank: 'BCA', number: '1234567890', holder: 'PT Kios Jaya' }] });

    const a = okJson(await kios(env, ['deposit', 'request', 'deposit@example.com', '50.000', '--json']));
    expect(a).toMatchObject({ reseller_id: r.id, amount: 50_000, status: 'pending', bank: { code: 'bca' }, confirmed_at: null });
    expect(a.total).toBe(50_000 + a.unique_code);
    const human = ok(await kios(env, ['deposit', 'request', r.id, '2000000', '--note', 'second']));
    const b = human.match(/^ticket +(dep_\w+)$/m)?.[1];
    expect(b, human).toBeDefined();
    expect(human).toMatch(/^transfer +Rp 2\.000\.\d{3} \(Rp 2\.000\.000 \+ unique code \d{1,3}\)$/m);
    expect(human).toMatch(/^to +BCA 1234567890 a\.n\. PT Kios Jaya \(bca\)$/m);

    const list = okJson(await kios(env, ['deposit', 'list', '--status', 'pending', '--reseller', 'deposit@example.com', '--json']));
    expect(list.tickets.map((x: { id: string }) => x.id)).toEqual([b, a.id]);
    expect(list.next_cursor).toBeNull();
    const page = ok(await kios(env, ['deposit', 'list', '--limit', '1']));
    expect(page).toMatch(new RegExp(`^${b} +pending +Rp 2\\.000\\.\\d{3} +${r.id} +bca `, 'm'));
    const next = page.match(/^next page: kios (deposit list .*)$/m)?.[1];
    expect(next, page).toBeDefined();
    expect(ok(await kios(env, next!.split(' ')))).toMatch(new RegExp(`^${a.id} +pending`, 'm'));
    expect(ok(await kios(env, ['deposit', 'show', a.id]))).toMatch(new RegExp(`^status +pending$`, 'm'));

    const [wrongPaid, unknownBank, fraction, tooSmall, unknownTicket, badStatus] = await Promise.all([
      kios(env, ['deposit', 'confirm', a.id, '--paid', String(a.amount)]),
      kios(env, ['deposit', 'request', r.id, '20000', '--bank', 'bni']),
      kios(env, ['deposit', 'request', r.id, '20000.5']),
      kios(env, ['deposit', 'request', r.id, '5000']),
      kios(env, ['deposit', 'show', 'dep_nothing']),
      kios(env, ['deposit', 'list', '--status', 'paid']),
    ]);
    expectRefused(wrongPaid, /Rp 50\.000 arrived but deposit dep_\w+ expects exactly Rp 50\.\d{3}; nothing was credited/);
    expectRefused(unknownBank, /unknown bank account "bni" \(known: bca\)/);
    expectRefused(fraction, /not a whole number of rupiah/);
    expectRefused(tooSmall, /from Rp 10\.000 to Rp 100\.000\.000/);
    expectRefused(unknownTicket, /no deposit ticket dep_nothing/);
    expectRefused(badStatus, /unknown status paid/);
    expect(okJson(await kios(env, ['reseller', 'show', r.id, '--json'])).balance).toBe(0);

    const confirmed = ok(await kios(env, ['deposit', 'confirm', a.id, '--paid', String(a.total), '--external-ref', 'BCA-0001']));
    expect(confirmed).toMatch(new RegExp(`^confirmed ${a.id}: credited Rp 50\\.\\d{3} to ${r.id}; balance is now Rp 50\\.\\d{3}$`, 'm'));
    // Again: not an error, and nothing more is credited.
    const again = okJson(await kios(env, ['deposit', 'confirm', a.id, '--json']));
    expect(again).toMatchObject({ already_confirmed: true, credited: 0, ticket: { status: 'confirmed', confirmed_by: 'cli', external_ref: 'BCA-0001' } });
    expect(ok(await kios(env, ['deposit', 'confirm', a.id]))).toMatch(/already confirmed .* nothing more now/);
    expect(okJson(await kios(env, ['reseller', 'show', r.id, '--json'])).balance).toBe(a.total);

    expect(ok(await kios(env, ['deposit', 'cancel', b!]))).toMatch(new RegExp(`^cancelled ${b} .*nothing is credited$`, 'm'));
    expectRefused(await kios(env, ['deposit', 'confirm', b!]), /was cancelled \(by cli\); nothing was credited/);
    expectRefused(await kios(env, ['deposit', 'cancel', a.id]), /already confirmed and credited; it cannot be cancelled/);
    expect(okJson(await kios(env, ['reseller', 'show', r.id, '--json'])).balance).toBe(a.total);

    expect(ok(await kios(env, ['ledger', 'verify']))).toMatch(/ledger OK/);
    expect(ok(await kios(env, ['deposit', 'bank', 'remove', 'bca']))).toMatch(/no bank accounts/);
    expectRefused(await kios(env, ['deposit', 'bank', 'remove', 'bca']), /no bank account with code "bca"/);
  });
});
