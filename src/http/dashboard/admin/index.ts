import type { DashboardArea } from '../plugin.js';
import { adminAuthRoutes } from './auth.js';
import { adminCatalogRoutes } from './catalog.js';
import { adminDepositRoutes } from './deposits.js';
import { adminOperatorRoutes } from './operators.js';
import { adminResellerRoutes } from './resellers.js';
import { adminSupplierRoutes } from './suppliers.js';

/** The areas of /api/admin, one file each. */
export const adminAreas: DashboardArea[] = [adminAuthRoutes, adminOperatorRoutes, adminResellerRoutes, adminDepositRoutes, adminCatalogRoutes, adminSupplierRoutes];
