import type { DashboardArea } from '../plugin.js';
import { adminAuthRoutes } from './auth.js';
import { adminOperatorRoutes } from './operators.js';

/** The areas of /api/admin, one file each. */
export const adminAreas: DashboardArea[] = [adminAuthRoutes, adminOperatorRoutes];
