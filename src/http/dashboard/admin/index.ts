import type { DashboardArea } from '../plugin.js';
import { adminAuthRoutes } from './auth.js';
import { adminCallbackRoutes } from './callbacks.js';
import { adminCatalogRoutes } from './catalog.js';
import { adminDepositRoutes } from './deposits.js';
import { adminLedgerRoutes } from './ledger.js';
import { adminOperatorRoutes } from './operators.js';
import { adminOrderRoutes } from './orders.js';
import { adminOverviewRoutes } from './overview.js';
import { adminResellerRoutes } from './resellers.js';
import { adminSupplierRoutes } from './suppliers.js';

/** The areas of /api/admin, one file each. */
export const adminAreas: DashboardArea[] = [
  adminAuthRoutes,
  adminOperatorRoutes,
  adminOverviewRoutes,
  adminOrderRoutes,
  adminCallbackRoutes,
  adminLedgerRoutes,
  adminResellerRoutes,
  adminDepositRoutes,
  adminCatalogRoutes,
  adminSupplierRoutes,
];
