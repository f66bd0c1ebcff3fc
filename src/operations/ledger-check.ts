import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import { lastLedgerVerification, recordLedgerVerification, verifyLedger, type LedgerVerification, type LedgerViolation } from '../ledger/verify.js';

/** At most this many violations are returned to a page; the count says how many there were. */
const SHOWN = 100;

/**
 * The ledger verifier from the dashboard: the last recorded result (from `kios ledger verify`,
 * a cron, or this button), and a run now, recorded the same way so every process reports it.
 */
export class LedgerCheck {
  constructor(private readonly d: { db: Db; clock: Clock }) {}

  last(): Promise<LedgerVerification | null> {
    return lastLedgerVerification(this.d.db.kysely);
  }

  async run(): Promise<LedgerVerification & { details: LedgerViolation[] }> {
    const violations = await verifyLedger(this.d.db.kysely);
    const v: LedgerVerification = { ok: violations.length === 0, violations: violations.length, at: this.d.clock() };
    await recordLedgerVerification(this.d.db.kysely, v);
    return { ...v, details: violations.slice(0, SHOWN) };
  }
}
