import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundDispatcher } from '../../src/callbacks/safe-dispatcher.js';
import { CallbackUrlPolicy } from '../../src/callbacks/url-policy.js';
import { verifyBody } from '../../src/domain/signature.js';
import { listLedger } from '../../src/member/ledger.js';
import { listOrders } from '../../src/member/orders.js';
import { WebhookTest } from '../../src/member/webhook-test.js';
import { OperatorError } from '../../src/resellers/service.js';
import { insertChunked, orderRow } from '../helpers/bulk-orders.js';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios, type Reseller } from '../helpers/kios.js';
import { expectIndexed, planOf, recording } from '../helpers/plans.js';

const BASE = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let s = '';
  for await (const c of gen) s += c;
  return s;
}

describe.each(DIALECTS)('member dashboard use cases (%s)', (dialect) => {
  let t: TestKios;
  let a: Reseller;
  let b: Reseller;

  beforeAll(async () => {
    t = await TestKios.start(dialect);
    a = await t.reseller({ balance: 0 });
    b = await t.reseller({ balance: 0 });
    // 30 days of movements for A (a deposit, then debits), and B's own, interleaved in time.
    const k = t.kios.db.kysely;
    let balance = 0;
    const rows = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 10 === 0 ? 'deposit' : 'order_debit';
      const amount = kind === 'deposit' ? 50_000 : -1_000;
      balance += amount;
      rows.push({ id: `le_a${String(i).padStart(4, '0')}`, reseller_id: a.id, kind, amount, balance_after: balance, order_id: null, order_leg: null, reference: kind === 'deposit' ? `TRF-${i}` : null, note: i === 0 ? 'first, "quoted", note\nwith =1+1' : null, created_at: BASE + Math.floor(i / 10) * DAY + i });
      rows.push({ id: `le_b${String(i).padStart(4, '0')}`, reseller_id: b.id, kind: 'deposit', amount: 10, balance_after: (i + 1) * 10, order_id: null, order_leg: null, reference: `B-${i}`, note: null, created_at: BASE + Math.floor(i / 10) * DAY + i });
    }
    await insertChunked(k, 'ledger_entries', rows);
    await k.updateTable('resellers').set({ balance }).where('id', '=', a.id).execute();
    await k.updateTable('resellers').set({ balance: 3000 }).where('id', '=', b.id).execute();

    const orders = [];
    for (let i = 0; i < 120; i++) {
      orders.push(
        orderRow({
          id: `ord_a${String(i).padStart(5, '0')}`,
          reseller_id: a.id,
          status: i % 3 === 0 ? 'FAILED' : 'SUCCESS',
          created_at: BASE + Math.floor(i / 4) * DAY,
          trx_id: `TRX-${i}`,
          user_id: i % 5 === 0 ? '0812000' : `99${i}`,
        }),
      );
    }
    orders.push(orderRow({ id: 'ord_b00001', reseller_id: b.id, status: 'SUCCESS', created_at: BASE, trx_id: 'TRX-1', user_id: '0812000' }));
    await insertChunked(k, 'orders', orders);
    await insertChunked(
      k,
      'order_events',
      orders.flatMap((o) => [
        { order_id: o.id, at: o.created_at, type: 'created', data: JSON.stringify({ channel: 'api', amount: 1000 }) },
        { order_id: o.id, at: o.created_at + 1, type: 'supplier_sync', data: JSON.stringify({ secret: 'supplier stuff' }) },
        { order_id: o.id, at: o.created_at + 2, type: 'status', data: JSON.stringify({ from: 'PENDING', to: o.status, reason: null, source: 'supplier' }) },
      ]),
    );
    await k.executeQuery(CompiledQuery.raw('analyze'));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('Mutasi', () => {
    it('pages one reseller\'s ledger newest first, every entry once, never another reseller\'s', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.kios.member.ledger(a.id, { limit: 7, cursor });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(300);
      expect(seen[0]).toBe('le_a0299');
      expect(seen.at(-1)).toBe('le_a0000');
      expect(new Set(seen).size).toBe(300);
    });

    it('filters by kind and by a date range [from, to)', async () => {
      const deposits = await t.kios.member.ledger(a.id, { kind: 'deposit', limit: 100 });
      expect(deposits.items).toHaveLength(30);
      expect(deposits.items.every((e) => e.kind === 'deposit' && e.amount === 50_000)).toBe(true);
      const days = await t.kios.member.ledger(a.id, { from: BASE + 3 * DAY, to: BASE + 5 * DAY, limit: 100 });
      expect(days.items).toHaveLength(20);
      expect(days.items.every((e) => e.createdAt >= BASE + 3 * DAY && e.createdAt < BASE + 5 * DAY)).toBe(true);
      expect(days.nextCursor).toBeNull();
      const both = await t.kios.member.ledger(a.id, { kind: 'deposit', from: BASE + 3 * DAY, to: BASE + 5 * DAY });
      expect(both.items.map((e) => e.reference)).toEqual(['TRF-40', 'TRF-30']);
    });

    it('refuses a made-up kind, a backwards range and a foreign cursor', async () => {
      await expect(t.kios.member.ledger(a.id, { kind: 'gift' as never })).rejects.toThrow(OperatorError);
      await expect(t.kios.member.ledger(a.id, { from: BASE + DAY, to: BASE })).rejects.toThrow(/ends before it starts/);
      await expect(t.kios.member.ledger(a.id, { cursor: 'nonsense' })).rejects.toThrow(OperatorError);
      await expect(t.kios.member.ledger(a.id, { cursor: Buffer.from(`${BASE}:x`).toString('base64url') })).rejects.toThrow(OperatorError);
    });

    it('exports CSV with a BOM, local times, proper quoting and no formula injection', async () => {
      const csv = await collect(await t.kios.member.ledgerCsv(a.id, {}, 'Asia/Jakarta'));
      expect(csv.startsWith('\uFEFFtime,kind,amount,balance_after,reference,invoice,note\r\n')).toBe(true);
      const lines = csv.slice(1).split('\r\n');
      expect(lines[1]).toBe('2025-01-30T07:00:00+07:00,order_debit,-1000,1230000,,,');
      expect(csv).toContain(`2025-01-01T07:00:00+07:00,deposit,50000,50000,TRF-0,,"first, ""quoted"", note\nwith =1+1"`);
      expect(lines.filter((l) => l.length > 0)).toHaveLength(301); // header + 300 rows (the note's newline is inside its quotes)
    });

    it('streams the export page by page (1,000 rows at a time), never the whole ledger at once', async () => {
      const gen = await t.kios.member.ledgerCsv(a.id, {}, 'UTC');
      const first = await gen.next();
      expect(first.value).toMatch(/^\uFEFFtime/);
      const second = await gen.next();
      expect(String(second.value).split('\r\n').filter(Boolean).length).toBeGreaterThan(1);
      await gen.return(undefined);
    });

    it('reads the ledger off the (reseller, created_at, seq) index: first page, a later page, a date range', async () => {
      const rec = recording(t.kios.db);
      const first = await listLedger(rec.db, a.id, { limit: 5 });
      await listLedger(rec.db, a.id, { limit: 5, cursor: first.nextCursor! });
      await listLedger(rec.db, a.id, { limit: 5, from: BASE + 3 * DAY, to: BASE + 5 * DAY });
      for (const q of rec.queries) expectIndexed(dialect, await planOf(t.kios.db, q), dialect === 'sqlite' ? 'le' : 'ledger_entries', 'ledger_reseller_created_seq_idx');
    });
  });

  describe('orders', () => {
    it('pages, filters by status and dates, and finds by invoice, trx_id or destination: only its own', async () => {
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.kios.member.orders(a.id, { limit: 11, cursor });
        all.push(...page.items.map((o) => o.invoice));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(all).toHaveLength(120);
      expect(new Set(all).size).toBe(120);

      const failed = await t.kios.member.orders(a.id, { status: 'FAILED', limit: 200 });
      expect(failed.items).toHaveLength(40);
      const range = await t.kios.member.orders(a.id, { from: BASE + 2 * DAY, to: BASE + 3 * DAY });
      expect(range.items.map((o) => o.invoice).sort()).toEqual(['INV-ord_a00008', 'INV-ord_a00009', 'INV-ord_a00010', 'INV-ord_a00011']);

      expect((await t.kios.member.orders(a.id, { q: 'INV-ord_a00007' })).items.map((o) => o.invoice)).toEqual(['INV-ord_a00007']);
      expect((await t.kios.member.orders(a.id, { q: 'TRX-1' })).items.map((o) => o.invoice)).toEqual(['INV-ord_a00001']);
      expect((await t.kios.member.orders(b.id, { q: 'TRX-1' })).items.map((o) => o.invoice)).toEqual(['INV-ord_b00001']);
      expect((await t.kios.member.orders(b.id, { q: 'INV-ord_a00007' })).items).toEqual([]);

      // The destination search pages exactly like the list: 24 of A's orders went to 0812000.
      const dest: string[] = [];
      cursor = undefined;
      do {
        const page = await t.kios.member.orders(a.id, { q: '0812000', limit: 5, cursor });
        dest.push(...page.items.map((o) => o.invoice));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(dest).toHaveLength(24);
      expect(dest[0]).toBe('INV-ord_a00115');
      // A search matching an invoice and destinations at once is their union.
      const mixed = await t.kios.member.orders(a.id, { q: '0812000', status: 'FAILED', limit: 100 });
      expect(mixed.items.every((o) => o.status === 'FAILED' && o.userId === '0812000')).toBe(true);
    });

    it('shows one order with its status history, not the supplier exchanges; another reseller\'s is not found', async () => {
      const { order, history } = await t.kios.member.order(a.id, 'INV-ord_a00003');
      expect(order).toMatchObject({ invoice: 'INV-ord_a00003', status: 'FAILED', trxId: 'TRX-3' });
      expect(history.map((h) => [h.type, h.to])).toEqual([
        ['created', null],
        ['status', 'FAILED'],
      ]);
      expect(JSON.stringify(history)).not.toContain('supplier stuff');
      await expect(t.kios.member.order(b.id, 'INV-ord_a00003')).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('reads a destination search off its own index, in list order', async () => {
      const rec = recording(t.kios.db);
      await listOrders(rec.db, a.id, { q: '0812000', limit: 5 });
      const plans = await Promise.all(rec.queries.map((q) => planOf(t.kios.db, q)));
      const byDest = plans.find((_, i) => rec.queries[i]!.sql.includes('"user_id" ='))!;
      expectIndexed(dialect, byDest, 'orders', 'orders_user_id_created_idx');
    });
  });

  describe('prices', () => {
    it("lists the tier's prices with search and category, and exports them", async () => {
      const all = await t.kios.member.prices(a.id, {});
      expect(all.items.length).toBeGreaterThan(3);
      const one = all.items[0]!;
      const found = await t.kios.member.prices(a.id, { q: one.code.toLowerCase() });
      expect(found.items.map((p) => p.code)).toContain(one.code);
      const cat = await t.kios.member.prices(a.id, { category: one.categoryTitle });
      expect(cat.items.every((p) => p.categoryTitle === one.categoryTitle)).toBe(true);
      expect(all.categories).toContain(one.categoryTitle);
      const csv = await collect(await t.kios.member.pricesCsv(a.id, {}));
      expect(csv.startsWith('\uFEFFcategory,code,name,price,active\r\n')).toBe(true);
      expect(csv.split('\r\n').filter(Boolean)).toHaveLength(all.items.length + 1);
      // Prices are the tier's: the same as the catalog gives the reseller API.
      expect(all.items).toEqual(await t.kios.catalog.listProducts('platinum'));
    });
  });

  describe('redeem projects', () => {
    it("lists the reseller's projects and a project's vouchers, codes masked; another's is not found", async () => {
      const codes = Array.from({ length: 12 }, (_, i) => `CODE${String(i).padStart(4, '0')}ABCDEFGH`);
      const p = await t.kios.redeem.createProject({ id: a.id, roleCode: 'platinum' }, codes, null);
      const list = await t.kios.member.redeemProjects(a.id, {});
      expect(list.items.map((x) => x.projectId)).toEqual([p.projectId]);
      expect((await t.kios.member.redeemProjects(b.id, {})).items).toEqual([]);
      const first = await t.kios.member.redeemProject(a.id, p.projectId, { limit: 5 });
      expect(first.project.total).toBe(12);
      expect(first.vouchers.map((v) => v.n)).toEqual([12, 11, 10, 9, 8]);
      for (const v of first.vouchers) {
        expect(v.code).toMatch(/\*{4,}/);
        expect(codes).not.toContain(v.code);
      }
      const rest = await t.kios.member.redeemProject(a.id, p.projectId, { limit: 10, cursor: first.nextCursor! });
      expect(rest.vouchers.map((v) => v.n)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(rest.nextCursor).toBeNull();
      await expect(t.kios.member.redeemProject(b.id, p.projectId, {})).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('test callback', () => {
    it('sends a signed, clearly marked test payload and returns the answer', async () => {
      const sink = await CallbackSink.start();
            try {
        await t.kios.resellers.setWebhook(a.id, `${sink.url}/hook`);
        sink.failNext(1, 418);
        const r = await t.kios.member.webhookTest.send(a.id);
        expect(r).toMatchObject({ status: 418, body: 'FAIL', error: 'HTTP 418' });
        expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
        const ok = await t.kios.member.webhookTest.send(a.id);
        expect(ok).toMatchObject({ status: 200, body: 'OK', error: null });
        // The redeem project above may call the same webhook as it completes: pick the test's own request.
        const tests = sink.received.filter((req) => String(req.headers['webhook-id']).startsWith('test_'));
        expect(tests).toHaveLength(2);
        const got = tests.at(-1)!;
        const body = JSON.parse(got.body);
        expect(body).toMatchObject({ test: true, status: 'TEST' });
        expect(body.invoice_number).toMatch(/^TEST-/);
        expect(got.headers['webhook-id']).toMatch(/^test_/);
        expect(verifyBody(got.body, a.apiKey, String(got.headers['x-signature']))).toBe(true);
        // Nothing queued, nothing recorded.
        expect(await t.kios.db.kysely.selectFrom('jobs').select('id').where('payload', 'like', '%TEST-%').execute()).toEqual([]);
      } finally {
        await t.kios.resellers.setWebhook(a.id, null);
        await sink.close();
      }
    });

    it('never reaches a private network unless CALLBACK_ALLOW_PRIVATE', async () => {
      const sink = await CallbackSink.start();
      const dispatcher = createOutboundDispatcher({ allowPrivate: false, timeoutMs: 2000 });
      try {
        const guarded = new WebhookTest({ resellers: t.kios.resellers, policy: new CallbackUrlPolicy(false), dispatcher, timeoutMs: 2000, clock: Date.now });
        const port = new URL(sink.url).port;
        // Stored before a stricter policy (or by an operator): the send itself must refuse.
        for (const url of [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`, `http://[::1]:${port}/x`]) {
          await t.kios.db.kysely.updateTable('resellers').set({ webhook_url: url }).where('id', '=', b.id).execute();
          const r = await guarded.send(b.id);
          expect(r.status, url).toBeNull();
          expect(r.error, url).toMatch(/private or local/);
        }
        expect(sink.received).toEqual([]);
        await t.kios.db.kysely.updateTable('resellers').set({ webhook_url: null }).where('id', '=', b.id).execute();
        await expect(guarded.send(b.id)).rejects.toMatchObject({ kind: 'conflict' });
      } finally {
        await dispatcher.close();
        await sink.close();
      }
    });
  });
});
