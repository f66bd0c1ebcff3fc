import { sql } from 'kysely';
import { isUniqueViolation, type Db, type Queryable } from '../db/index.js';
import type { RedeemProject, RedeemVoucher } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { assertRupiah } from '../domain/money.js';
import { enqueue, type JobSignal } from '../jobs/queue.js';
import type { SecretBox } from '../security/secret-box.js';
import { OperatorError } from '../resellers/service.js';
import { completeIn } from './complete.js';
import { generateProjectId } from './ids.js';
import { emptyStats, NO_NOTE, STATUS_NAMES, VOUCHER_STATUS, type Stats } from './statuses.js';

/**
 * Voucher-redeem projects: intake, settings (engine, fees), reads and the operator's retry. The
 * processing lives in process.ts.
 *
 * Intake is one transaction, whatever the number of codes (up to MAX_CODES): the project, every
 * voucher and the processing job commit together or not at all, so an accepted project is never
 * half stored and a refused one stores nothing.
 */

export const MAX_CODES = 10_000;
export const MAX_CODE_LENGTH = 64;
export const SIMULATOR_ENGINE = 'simulator';

const ENGINE_KEY = 'redeem_engine';
const FEE_KEY = (tier: string) => `redeem_fee:${tier}`;
/** Rows per INSERT/IN-list: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

export interface ProjectSummary {
  seq: number;
  projectId: string;
  resellerId: string;
  engine: string;
  fee: number;
  total: number;
  status: string;
  stats: Stats;
  createdAt: number;
  completedAt: number | null;
}

export interface ProjectPage {
  project: RedeemProject;
  vouchers: RedeemVoucher[];
  stats: Stats;
  /** Count per nominal_gs, ascending. */
  nominals: { nominal: number; total: number }[];
  totalData: number;
  totalPage: number;
}

export class RedeemService {
  constructor(
    private readonly d: {
      db: Db;
      secrets: SecretBox;
      signal: JobSignal;
      clock: Clock;
      /** Whether a supplier account offers a redeem engine (checked when the operator picks it). */
      supplierHasEngine: (supplierId: string) => Promise<boolean>;
    },
  ) {}

  /**
   * Stores a new project: codes deduplicated (first occurrence kept, in order), codes this
   * reseller already redeemed successfully in an earlier project settled at once as
   * error_voucher (never sent to the engine), everything else pending, and the job that
   * processes them. Returns the project as stored.
   */
  async createProject(reseller: { id: string; roleCode: string }, codes: string[], sessionKey: string | null): Promise<ProjectSummary> {
    if (codes.length === 0 || codes.length > MAX_CODES) throw new RangeError(`a project holds 1 to ${MAX_CODES} codes`);
    const distinct = [...new Set(codes)];
    const engine = await this.engineFor(reseller.id);
    const fee = await this.feeFor(reseller.roleCode);
    const sessionKeyEnc = sessionKey ? this.d.secrets.encrypt(sessionKey) : null;

    for (let attempt = 0; ; attempt++) {
      const now = this.d.clock();
      const projectId = generateProjectId(now);
      try {
        const seq = await this.d.db.transaction(async (trx) => {
          const inserted = await trx
            .insertInto('redeem_projects')
            .values({ project_id: projectId, reseller_id: reseller.id, engine, fee, session_key_enc: sessionKeyEnc, total: distinct.length, status: 'open', created_at: now, updated_at: now, completed_at: null })
            .returning('seq')
            .executeTakeFirstOrThrow();
          const seq = Number(inserted.seq);
          const earlier = await this.#redeemedBefore(trx, reseller.id, distinct);
          for (let i = 0; i < distinct.length; i += CHUNK) {
            const rows = distinct.slice(i, i + CHUNK).map((code, j) => {
              const before = earlier.get(code);
              return {
                project_seq: seq,
                reseller_id: reseller.id,
                n: i + j + 1,
                code,
                status: before ? VOUCHER_STATUS.error_voucher : VOUCHER_STATUS.pending,
                nominal_gs: 0,
                note: before ? `Voucher sudah berhasil di-redeem di project ${before}` : NO_NOTE,
                response_json: '',
                tries: 0,
                next_at: now,
                batch_id: null,
                fee: before ? 0 : fee,
                fee_entry: null,
                created_at: now,
                updated_at: now,
              };
            });
            await trx.insertInto('redeem_vouchers').values(rows).execute();
          }
          if (earlier.size === distinct.length) {
            await completeIn(trx, { seq, projectId, resellerId: reseller.id, rounds: 0 }, now, this.callbackFirstDelayMs);
          } else {
            await enqueue(trx, { kind: 'redeem', dedupeKey: redeemJobKey(projectId), payload: { projectSeq: seq }, runAt: now, now });
          }
          return seq;
        });
        this.d.signal.notify();
        return this.summary(seq);
      } catch (err) {
        // A project id drawn twice (1 in 10^10 per day): draw again.
        if (attempt < 3 && isUniqueViolation(err, 'project_id')) continue;
        throw err;
      }
    }
  }

  /** Set by the composition root: the wait before a completion callback's first attempt. */
  callbackFirstDelayMs = 0;

  async #redeemedBefore(trx: Queryable, resellerId: string, codes: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < codes.length; i += CHUNK) {
      const rows = await trx
        .selectFrom('redeem_vouchers as v')
        .innerJoin('redeem_projects as p', 'p.seq', 'v.project_seq')
        .select(['v.code', 'p.project_id'])
        .where('v.reseller_id', '=', resellerId)
        .where('v.code', 'in', codes.slice(i, i + CHUNK))
        .where('v.status', '=', VOUCHER_STATUS.success)
        .execute();
      for (const r of rows) if (!found.has(r.code)) found.set(r.code, r.project_id);
    }
    return found;
  }

  async summary(seq: number): Promise<ProjectSummary> {
    const p = await this.d.db.kysely.selectFrom('redeem_projects').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
    return toSummary(p, await this.stats(p.seq));
  }

  async stats(seq: number): Promise<Stats> {
    const rows = await this.d.db.kysely
      .selectFrom('redeem_vouchers')
      .select(['status', sql<number | string>`count(*)`.as('n')])
      .where('project_seq', '=', seq)
      .groupBy('status')
      .execute();
    const stats = emptyStats();
    for (const r of rows) {
      const name = STATUS_NAMES[r.status];
      if (name) stats[name] = Number(r.n);
    }
    return stats;
  }

  /** A project of this reseller by its public id; another reseller's is not found. */
  async find(resellerId: string, projectId: string): Promise<RedeemProject | null> {
    const p = await this.d.db.kysely.selectFrom('redeem_projects').selectAll().where('project_id', '=', projectId).where('reseller_id', '=', resellerId).executeTakeFirst();
    return p ?? null;
  }

  /**
   * One page of a project's vouchers, newest first. Unfiltered, the page is the range of
   * positions `n` it covers (an index range: the same work for page 1 and page 300); filtered by
   * status, an offset over the (project, status, id) index.
   */
  async page(project: RedeemProject, o: { status: number | null; page: number; limit: number }): Promise<ProjectPage> {
    const db = this.d.db.kysely;
    const stats = await this.stats(project.seq);
    const nominals = await db
      .selectFrom('redeem_vouchers')
      .select(['nominal_gs', sql<number | string>`count(*)`.as('n')])
      .where('project_seq', '=', project.seq)
      .groupBy('nominal_gs')
      .orderBy('nominal_gs')
      .execute();
    let vouchers: RedeemVoucher[];
    let totalData: number;
    if (o.status === null) {
      totalData = project.total;
      const hi = project.total - (o.page - 1) * o.limit;
      const lo = Math.max(1, hi - o.limit + 1);
      vouchers = hi < 1 ? [] : await db.selectFrom('redeem_vouchers').selectAll().where('project_seq', '=', project.seq).where('n', '>=', lo).where('n', '<=', hi).orderBy('n', 'desc').execute();
    } else {
      totalData = stats[STATUS_NAMES[o.status]!];
      const offset = (o.page - 1) * o.limit;
      vouchers =
        offset >= totalData
          ? []
          : await db.selectFrom('redeem_vouchers').selectAll().where('project_seq', '=', project.seq).where('status', '=', o.status).orderBy('id', 'desc').limit(o.limit).offset(offset).execute();
    }
    return {
      project,
      vouchers,
      stats,
      nominals: nominals.map((r) => ({ nominal: r.nominal_gs, total: Number(r.n) })),
      totalData,
      totalPage: Math.ceil(totalData / o.limit),
    };
  }

  async list(o: { resellerId?: string; limit?: number } = {}): Promise<ProjectSummary[]> {
    let q = this.d.db.kysely.selectFrom('redeem_projects').selectAll().orderBy('seq', 'desc').limit(o.limit ?? 100);
    if (o.resellerId) q = q.where('reseller_id', '=', o.resellerId);
    const rows = await q.execute();
    return Promise.all(rows.map(async (p) => toSummary(p, await this.stats(p.seq))));
  }

  /** A project by public id or numeric id, for the operator. */
  async get(id: string): Promise<{ project: RedeemProject; merchantId: string | null; stats: Stats; vouchers: RedeemVoucher[] }> {
    const db = this.d.db.kysely;
    let q = db.selectFrom('redeem_projects').selectAll();
    q = /^\d{1,12}$/.test(id) ? q.where('seq', '=', Number(id)) : q.where('project_id', '=', id.trim());
    const project = await q.executeTakeFirst();
    if (!project) throw new OperatorError(`no redeem project "${id}"`);
    const r = await db.selectFrom('resellers').select('merchant_id').where('id', '=', project.reseller_id).executeTakeFirstOrThrow();
    const vouchers = await db.selectFrom('redeem_vouchers').selectAll().where('project_seq', '=', project.seq).orderBy('n').execute();
    return { project, merchantId: r.merchant_id, stats: await this.stats(project.seq), vouchers };
  }

  /**
   * Re-queues a project's error_engine vouchers (`kios redeem retry`): pending again with their
   * retries renewed, the project re-opened and a job due now. Returns how many were re-queued.
   */
  async retry(id: string): Promise<number> {
    const { project } = await this.get(id);
    const now = this.d.clock();
    const n = await this.d.db.transaction(async (trx) => {
      const r = await trx
        .updateTable('redeem_vouchers')
        .set({ status: VOUCHER_STATUS.pending, tries: 0, next_at: now, note: NO_NOTE, batch_id: null, updated_at: now })
        .where('project_seq', '=', project.seq)
        .where('status', '=', VOUCHER_STATUS.error_engine)
        .executeTakeFirst();
      const count = Number(r.numUpdatedRows);
      if (count === 0) return 0;
      // A project still open has its job running: it picks the vouchers up. A closed one gets a
      // new job, keyed by its completions so far (the old job may still be finishing: it saw the
      // project closed and does nothing more).
      const reopened = await trx
        .updateTable('redeem_projects')
        .set({ status: 'open', completed_at: null, updated_at: now })
        .where('seq', '=', project.seq)
        .where('status', '=', 'done')
        .returning('rounds')
        .executeTakeFirst();
      if (reopened) {
        await enqueue(trx, { kind: 'redeem', dedupeKey: `${redeemJobKey(project.project_id)}:retry-${reopened.rounds}`, payload: { projectSeq: project.seq }, runAt: now, now });
      }
      return count;
    });
    if (n > 0) this.d.signal.notify();
    return n;
  }

  // --- settings -------------------------------------------------------------------------------

  /** The engine that serves a reseller's new projects: its own setting, else the default, else the simulator. */
  async engineFor(resellerId: string): Promise<string> {
    const rows = await this.d.db.kysely.selectFrom('meta').select(['key', 'value']).where('key', 'in', [ENGINE_KEY, `${ENGINE_KEY}:${resellerId}`]).execute();
    const own = rows.find((r) => r.key !== ENGINE_KEY);
    return own?.value ?? rows[0]?.value ?? SIMULATOR_ENGINE;
  }

  /** `kios redeem engine <supplier name | simulator> [--reseller R]`; returns the engine stored. */
  async setEngine(nameOrId: string, resellerId?: string): Promise<{ engine: string; name: string }> {
    let engine = SIMULATOR_ENGINE;
    let name = SIMULATOR_ENGINE;
    if (nameOrId !== SIMULATOR_ENGINE) {
      const s = await this.d.db.kysely.selectFrom('suppliers').select(['id', 'name', 'kind']).where((eb) => eb.or([eb('id', '=', nameOrId), eb('name', '=', nameOrId)])).executeTakeFirst();
      if (!s) throw new OperatorError(`no supplier named "${nameOrId}" (or use "simulator")`);
      if (!(await this.d.supplierHasEngine(s.id))) throw new OperatorError(`supplier ${s.name} (${s.kind}) offers no voucher-redeem engine: use an apigames supplier, or "simulator"`);
      engine = s.id;
      name = s.id;
    }
    const key = resellerId ? `${ENGINE_KEY}:${resellerId}` : ENGINE_KEY;
    await this.d.db.kysely
      .insertInto('meta')
      .values({ key, value: engine })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: engine }))
      .execute();
    return { engine, name };
  }

  async feeFor(tier: string): Promise<number> {
    const row = await this.d.db.kysely.selectFrom('meta').select('value').where('key', '=', FEE_KEY(tier)).executeTakeFirst();
    return row ? Number(row.value) : 0;
  }

  /** `kios redeem fee --tier member 150`: the fee per successfully redeemed voucher of new projects. */
  async setFee(tier: string, amount: number): Promise<void> {
    assertRupiah(amount, 'fee');
    const role = await this.d.db.kysely.selectFrom('roles').select('code').where('code', '=', tier).executeTakeFirst();
    if (!role) throw new OperatorError(`unknown tier "${tier}"`);
    const value = String(amount);
    await this.d.db.kysely
      .insertInto('meta')
      .values({ key: FEE_KEY(tier), value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async fees(): Promise<{ tier: string; fee: number }[]> {
    const rows = await this.d.db.kysely.selectFrom('meta').select(['key', 'value']).where('key', 'like', 'redeem_fee:%').orderBy('key').execute();
    return rows.map((r) => ({ tier: r.key.slice('redeem_fee:'.length), fee: Number(r.value) }));
  }
}

export const redeemJobKey = (projectId: string) => `redeem:${projectId}`;

function toSummary(p: RedeemProject, stats: Stats): ProjectSummary {
  return { seq: Number(p.seq), projectId: p.project_id, resellerId: p.reseller_id, engine: p.engine, fee: p.fee, total: p.total, status: p.status, stats, createdAt: p.created_at, completedAt: p.completed_at };
}
