import type { DashboardArea } from '../plugin.js';
import { memberAuthRoutes } from './auth.js';

/** The areas of /api/member, one file each. */
export const memberAreas: DashboardArea[] = [memberAuthRoutes];
