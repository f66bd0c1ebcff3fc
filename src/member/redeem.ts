import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { RedeemProject } from '../db/schema.js';
import { maskCode } from '../redeem/ids.js';
import { OperatorError } from '../resellers/service.js';
import { emptyStats, STATUS_NAMES, type Stats } from '../redeem/statuses.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';

export interface MemberProject {
  projectId: string;
  total: number;
  fee: number;
  status: string;
  stats: Stats;
  createdAt: number;
  completedAt: number | null;
}

export interface MemberVoucher {
  n: number;
  /** Partly masked, as the CLI shows it: enough to recognise, never enough to redeem. */
  code: string;
  status: string;
  nominal: number;
  note: string;
  updatedAt: number;
}

/** The reseller's redeem projects, newest first, keyset-paged on seq (0005's (reseller_id, seq desc) index). */
export async function listProjects(db: Db, resellerId: string, f: { cursor?: string; limit?: number }): Promise<{ items: MemberProject[]; nextCursor: string | null }> {
  const after = decodeCursor(f.cursor);
  const limit = pageSize(f.limit, 100);
  let q = db.kysely.selectFrom('redeem_projects').selectAll().where('reseller_id', '=', resellerId).orderBy('seq', 'desc').limit(limit + 1);
  if (after) q = q.where('seq', '<', after.at);
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const stats = await statsOf(
    db,
    page.map((p) => p.seq),
  );
  const last = page[page.length - 1];
  return {
    items: page.map((p) => memberProject(p, stats)),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.seq, id: 'p' }) : null,
  };
}

/**
 * One project of this reseller and a page of its vouchers by position `n`, newest first (the
 * (project_seq, n) unique index); another reseller's project is not found.
 */
export async function getProject(
  db: Db,
  resellerId: string,
  projectId: string,
  f: { cursor?: string; limit?: number },
): Promise<{ project: MemberProject; vouchers: MemberVoucher[]; nextCursor: string | null }> {
  const p = await db.kysely.selectFrom('redeem_projects').selectAll().where('project_id', '=', projectId).where('reseller_id', '=', resellerId).executeTakeFirst();
  if (!p) throw new OperatorError(`no redeem project ${projectId}`, 'not_found');
  const after = decodeCursor(f.cursor);
  const limit = pageSize(f.limit, 500);
  let q = db.kysely.selectFrom('redeem_vouchers').selectAll().where('project_seq', '=', p.seq).orderBy('n', 'desc').limit(limit + 1);
  if (after) q = q.where('n', '<', after.at);
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const stats = await statsOf(db, [p.seq]);
  return {
    project: memberProject(p, stats),
    vouchers: page.map((v) => ({ n: v.n, code: maskCode(v.code), status: STATUS_NAMES[v.status] ?? String(v.status), nominal: Number(v.nominal_gs), note: v.note, updatedAt: Number(v.updated_at) })),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.n, id: 'v' }) : null,
  };
}

async function statsOf(db: Db, seqs: number[]): Promise<Map<number, Stats>> {
  const out = new Map<number, Stats>();
  if (seqs.length === 0) return out;
  const rows = await db.kysely
    .selectFrom('redeem_vouchers')
    .select(['project_seq', 'status', sql<number | string>`count(*)`.as('n')])
    .where('project_seq', 'in', seqs)
    .groupBy(['project_seq', 'status'])
    .execute();
  for (const r of rows) {
    const s = out.get(r.project_seq) ?? emptyStats();
    const name = STATUS_NAMES[r.status];
    if (name) s[name] = Number(r.n);
    out.set(r.project_seq, s);
  }
  return out;
}

function memberProject(p: RedeemProject, stats: Map<number, Stats>): MemberProject {
  return {
    projectId: p.project_id,
    total: p.total,
    fee: Number(p.fee),
    status: p.status,
    stats: stats.get(p.seq) ?? emptyStats(),
    createdAt: Number(p.created_at),
    completedAt: p.completed_at === null ? null : Number(p.completed_at),
  };
}
