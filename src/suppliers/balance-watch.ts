import type { OperatorAlerts } from '../alerts/operator-alerts.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import type { SupplierService } from './service.js';

export interface BalanceCheck {
  supplier: string;
  balance: number | null;
  floor: number | null;
  low: boolean;
  error: string | null;
}

/**
 * Supplier balances against each account's `balance_alert` floor. A purchase a supplier refuses
 * for want of balance fails over (or fails), so an operator wants to top up before that: every
 * round reads each active account's balance, keeps it (`supplier_balances`, for `supplier list`
 * and dashboards) and raises an alert for each account below its floor.
 */
export class BalanceWatch {
  constructor(private readonly d: { db: Db; suppliers: SupplierService; alerts: OperatorAlerts; clock: Clock }) {}

  async checkAll(): Promise<BalanceCheck[]> {
    const checks: BalanceCheck[] = [];
    for (const s of await this.d.suppliers.list()) {
      if (!s.active) continue;
      const floor = typeof s.config.balance_alert === 'number' ? s.config.balance_alert : null;
      const b = await this.d.suppliers.balance(s.name);
      if (!b.ok && /has no balance call/.test(b.reason)) continue;
      const now = this.d.clock();
      const low = b.ok && floor !== null && b.balance < floor;
      const values = { balance: b.ok ? b.balance : null, error: b.ok ? null : b.reason, checked_at: now, ...(low ? { alerted_at: now } : {}) };
      await this.d.db.kysely
        .insertInto('supplier_balances')
        .values({ supplier_id: s.name, alerted_at: null, ...values })
        .onConflict((oc) => oc.column('supplier_id').doUpdateSet(values))
        .execute();
      if (low) {
        this.d.alerts.raise({
          kind: 'supplier_balance_low',
          supplier: s.name,
          message: `supplier ${s.name}: balance ${b.balance} is below its alert floor ${floor}; top it up before orders fail over`,
          data: { balance: b.balance, floor },
        });
      }
      checks.push({ supplier: s.name, balance: b.ok ? b.balance : null, floor, low, error: b.ok ? null : b.reason });
    }
    return checks;
  }
}
