import type { DashboardArea } from '../plugin.js';
import { memberAuthRoutes } from './auth.js';
import { memberCredentialRoutes } from './credentials.js';
import { memberDepositRoutes } from './deposits.js';
import { memberLedgerRoutes } from './ledger.js';
import { memberOrderRoutes } from './orders.js';
import { memberPriceRoutes } from './prices.js';
import { memberRedeemRoutes } from './redeem.js';
import { memberWebhookRoutes } from './webhook.js';
import { memberWhitelistRoutes } from './whitelist.js';

/** The areas of /api/member, one file each. */
export const memberAreas: DashboardArea[] = [
  memberAuthRoutes,
  memberLedgerRoutes,
  memberOrderRoutes,
  memberPriceRoutes,
  memberCredentialRoutes,
  memberWhitelistRoutes,
  memberWebhookRoutes,
  memberDepositRoutes,
  memberRedeemRoutes,
];
