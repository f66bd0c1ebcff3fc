import type { Dispatcher } from 'undici';
import type { CatalogService } from '../catalog/service.js';
import type { CallbackUrlPolicy } from '../callbacks/url-policy.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../domain/clock.js';
import type { ResellerService } from '../resellers/service.js';
import { getOrder, listOrders, type OrderFilter } from './orders.js';
import { ledgerCsv, listLedger, type LedgerFilter } from './ledger.js';
import { listPrices, pricesCsv, type PriceFilter } from './prices.js';
import { getProject, listProjects } from './redeem.js';
import { WebhookTest } from './webhook-test.js';

/**
 * What the reseller dashboard reads and does, always for one reseller (the session's): each
 * method takes the reseller's id first and never returns another reseller's rows. One file per
 * use case beside this one; this class only binds them to the services they use.
 */
export class MemberDashboard {
  readonly webhookTest: WebhookTest;

  constructor(private readonly d: { db: Db; catalog: CatalogService; resellers: ResellerService; policy: CallbackUrlPolicy; dispatcher: Dispatcher; timeoutMs: number; clock: Clock }) {
    this.webhookTest = new WebhookTest(d);
  }

  ledger(resellerId: string, f: LedgerFilter) {
    return listLedger(this.d.db, resellerId, f);
  }

  ledgerCsv(resellerId: string, f: Omit<LedgerFilter, 'cursor' | 'limit'>, timeZone: string) {
    return ledgerCsv(this.d.db, resellerId, f, timeZone);
  }

  orders(resellerId: string, f: OrderFilter) {
    return listOrders(this.d.db, resellerId, f);
  }

  order(resellerId: string, invoice: string) {
    return getOrder(this.d.db, resellerId, invoice);
  }

  async prices(resellerId: string, f: PriceFilter) {
    return listPrices(this.d.catalog, (await this.d.resellers.get(resellerId)).roleCode, f);
  }

  async pricesCsv(resellerId: string, f: PriceFilter) {
    return pricesCsv(this.d.catalog, (await this.d.resellers.get(resellerId)).roleCode, f);
  }

  redeemProjects(resellerId: string, f: { cursor?: string; limit?: number }) {
    return listProjects(this.d.db, resellerId, f);
  }

  redeemProject(resellerId: string, projectId: string, f: { cursor?: string; limit?: number }) {
    return getProject(this.d.db, resellerId, projectId, f);
  }
}
