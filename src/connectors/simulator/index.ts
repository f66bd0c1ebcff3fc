import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { balanceAlert } from '../kit/config.js';
import { appendJournal, readJournal } from '../kit/journal.js';
import type { AccountCheck, AccountCheckInput, CallContext, ConnectorContext, ConnectorFactory, PurchaseInput, StatusInput, StatusOutcome, SupplierConnector, SupplierOutcome } from '../types.js';

/**
 * The built-in supplier: lets kios run (and be tested) fully offline. It behaves like a real
 * H2H supplier — deduplicates purchases by reference, remembers every purchase across restarts in
 * a journal file, answers status checks — and its outcome is chosen by the input, so a demo or
 * a test picks what happens through the destination it orders for:
 *
 * | user_id            | what happens                                                   |
 * |--------------------|----------------------------------------------------------------|
 * | starts with `0`    | account check: INVALID_USER_ID (order refused, nothing charged) |
 * | ends with `404`    | account check: NICKNAME_NOT_FOUND (refused, nothing charged)    |
 * | ends with `999`    | purchase fails: FAILED, full refund                            |
 * | ends with `777`    | half delivered: PARTIAL_SUCCESS, half refunded                  |
 * | ends with `555`    | stays pending for `pending_ms`, then succeeds                  |
 * | ends with `333`    | the purchase call times out once (ambiguous); status: success  |
 * | anything else      | success (e.g. the documents' `123456789` / server `1234`)       |
 */

export const simulatorConfigSchema = z
  .object({
    latency_ms: z.number().int().min(0).max(60_000).optional(),
    pending_ms: z.number().int().min(0).max(3_600_000).optional(),
    balance_alert: balanceAlert.optional(),
  })
  .strict();
export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

type Plan = 'success' | 'failed' | 'partial' | 'slow' | 'timeout_once';

interface SimTransaction {
  ref: string;
  supplierRef: string;
  sku: string;
  userId: string;
  serverId: string | null;
  plan: Plan;
  placedAt: number;
}

type JournalLine = { t: 'purchase'; first: boolean; ref: string; at: number } & Partial<Omit<SimTransaction, 'ref'>>;

export function planFor(userId: string): Plan {
  if (userId.endsWith('999')) return 'failed';
  if (userId.endsWith('777')) return 'partial';
  if (userId.endsWith('555')) return 'slow';
  if (userId.endsWith('333')) return 'timeout_once';
  return 'success';
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').toUpperCase();
}

export class SimulatorConnector implements SupplierConnector {
  readonly kind = 'simulator';
  readonly rateLimit = null;
  readonly #txns = new Map<string, SimTransaction>();
  readonly #journalPath: string;
  #journalOffset = 0;
  readonly #latencyMs: number;
  readonly #pendingMs: number;

  constructor(
    journalPath: string,
    opts: { latencyMs: number; pendingMs: number },
    private readonly now: () => number = Date.now,
  ) {
    this.#journalPath = journalPath;
    this.#latencyMs = opts.latencyMs;
    this.#pendingMs = opts.pendingMs;
    mkdirSync(dirname(journalPath), { recursive: true });
    this.#readJournal();
  }

  async checkAccount(input: AccountCheckInput): Promise<AccountCheck> {
    await this.#latency();
    if (input.userId.startsWith('0')) return { kind: 'invalid_user', reason: 'user id not found by the simulator' };
    if (input.userId.endsWith('404')) return { kind: 'not_found', reason: 'no nickname for this account' };
    return { kind: 'ok', nickname: `Player_${input.userId.slice(-4)}` };
  }

  async purchase(input: PurchaseInput, call?: CallContext): Promise<SupplierOutcome> {
    const started = performance.now();
    await this.#latency();
    let txn = this.#txns.get(input.ref);
    if (!txn) this.#readJournal(); // another process may have taken this purchase
    txn = this.#txns.get(input.ref);
    const first = !txn;
    if (!txn) {
      txn = {
        ref: input.ref,
        supplierRef: `SIM${digest(input.ref).slice(0, 12)}`,
        sku: input.sku,
        userId: input.userId,
        serverId: input.serverId,
        plan: planFor(input.userId),
        placedAt: this.now(),
      };
      this.#txns.set(txn.ref, txn);
    }
    // Journaled before answering: once the supplier has an order, it keeps it across restarts.
    this.#append({ t: 'purchase', first, at: this.now(), ...txn });
    const request = JSON.stringify({ ref: input.ref, sku: input.sku, user_id: input.userId, server_id: input.serverId });
    if (first && txn.plan === 'timeout_once') {
      call?.exchanges.push({ method: 'SIM', url: 'simulator:purchase', request, error: 'simulated timeout', ms: Math.round(performance.now() - started) });
      throw new Error('simulated supplier timeout');
    }
    const outcome = this.#outcome(txn);
    call?.exchanges.push({ method: 'SIM', url: 'simulator:purchase', request, response: JSON.stringify(outcome), ms: Math.round(performance.now() - started) });
    return outcome;
  }

  async status(input: StatusInput, call?: CallContext): Promise<StatusOutcome> {
    const started = performance.now();
    await this.#latency();
    if (!this.#txns.has(input.ref)) this.#readJournal();
    const txn = this.#txns.get(input.ref);
    const outcome: StatusOutcome = txn ? this.#outcome(txn) : { kind: 'not_found' };
    call?.exchanges.push({ method: 'SIM', url: 'simulator:status', request: JSON.stringify({ ref: input.ref }), response: JSON.stringify(outcome), ms: Math.round(performance.now() - started) });
    return outcome;
  }

  async balance(): Promise<number> {
    return 1_000_000_000;
  }

  /** How many purchase calls each attempt reference received (first and repeated), read from the journal. */
  static purchaseCalls(journalPath: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of readJournal<JournalLine>(journalPath, 0).lines) {
      if (line.t === 'purchase') counts.set(line.ref, (counts.get(line.ref) ?? 0) + 1);
    }
    return counts;
  }

  #outcome(txn: SimTransaction): SupplierOutcome {
    const sn = digest(`sn:${txn.ref}`).slice(0, 16).replace(/(.{4})(?!$)/g, '$1-');
    switch (txn.plan) {
      case 'failed':
        return { kind: 'failed', reason: 'Simulator: transaksi gagal', scope: 'route' };
      case 'partial':
        return { kind: 'partial', supplierRef: txn.supplierRef, delivered: 1, total: 2, sn };
      case 'slow':
        if (this.now() < txn.placedAt + this.#pendingMs) return { kind: 'pending', supplierRef: txn.supplierRef };
        return { kind: 'success', supplierRef: txn.supplierRef, sn, voucher: sn };
      default:
        return { kind: 'success', supplierRef: txn.supplierRef, sn, voucher: sn };
    }
  }

  async #latency(): Promise<void> {
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
  }

  #append(line: JournalLine): void {
    appendJournal(this.#journalPath, line);
  }

  #readJournal(): void {
    const { lines, offset } = readJournal<JournalLine>(this.#journalPath, this.#journalOffset);
    this.#journalOffset = offset;
    for (const l of lines) {
      if (l.t !== 'purchase' || !l.first || this.#txns.has(l.ref)) continue;
      if (!l.supplierRef || !l.sku || !l.userId || !l.plan || l.placedAt === undefined) continue;
      this.#txns.set(l.ref, { ref: l.ref, supplierRef: l.supplierRef, sku: l.sku, userId: l.userId, serverId: l.serverId ?? null, plan: l.plan, placedAt: l.placedAt });
    }
  }
}

export function simulatorFactory(defaults: { latencyMs: number; pendingMs: number }): ConnectorFactory<SimulatorConfig> {
  return {
    kind: 'simulator',
    title: 'Built-in simulator',
    configSchema: simulatorConfigSchema,
    secretKeys: [],
    callbacks: false,
    create(config: SimulatorConfig, ctx: ConnectorContext) {
      return new SimulatorConnector(`${ctx.dataDir}/simulator-${ctx.supplierId}.jsonl`, {
        latencyMs: config.latency_ms ?? defaults.latencyMs,
        pendingMs: config.pending_ms ?? defaults.pendingMs,
      });
    },
  };
}
