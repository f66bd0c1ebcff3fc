import { renderSVG } from 'uqr';
import { z } from 'zod';
import type { AuditActor, AuditLog } from '../audit/log.js';
import { changePassword } from '../auth/change-password.js';
import { verifyPassword } from '../auth/passwords.js';
import type { SessionStore } from '../auth/sessions.js';
import type { SetupLinks } from '../auth/setup-links.js';
import { acceptTotp, newTotpSecret, otpauthUrl } from '../auth/totp.js';
import { isUniqueViolation, type Db } from '../db/index.js';
import type { Transaction } from 'kysely';
import type { Database, Operator, OperatorRole } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { OperatorError } from '../resellers/service.js';
import type { SecretBox } from '../security/secret-box.js';

/** What the dashboard and the CLI show of an operator: never a hash or a secret. */
export interface OperatorView {
  id: string;
  name: string;
  email: string;
  role: OperatorRole;
  totpEnabled: boolean;
  /** Whether the set-up link has been used (a password exists). */
  active: boolean;
  disabled: boolean;
  createdAt: number;
}

export const OPERATOR_ROLES = ['owner', 'staff'] as const;

export const operatorInputSchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email('email is not a valid address')).pipe(z.string().max(200, 'email is at most 200 characters')),
  name: z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters').optional(),
  role: z.enum(OPERATOR_ROLES).default('staff'),
});

export type LoginResult = { ok: true; operator: OperatorView } | { ok: false; reason: 'invalid' | 'totp_required' };

/**
 * Operators: the people who run the business on /admin. Created by the CLI (the first owner) or
 * by an owner; each gets a one-time set-up link and chooses a password; a TOTP second factor is
 * optional. Every change is written to the audit log in its own transaction.
 */
export class OperatorService {
  constructor(private readonly d: { db: Db; clock: Clock; secrets: SecretBox; links: SetupLinks; sessions: SessionStore; audit: AuditLog }) {}

  async create(input: z.input<typeof operatorInputSchema>, actor: AuditActor): Promise<{ operator: OperatorView; setupUrl: string; expiresAt: number }> {
    const parsed = operatorInputSchema.safeParse(input);
    if (!parsed.success) throw new OperatorError(parsed.error.issues.map((i) => i.message).join('; '));
    const v = parsed.data;
    const now = this.d.clock();
    const row: Operator = {
      id: newId('op'),
      email: v.email,
      name: v.name ?? v.email.split('@')[0]!,
      role: v.role,
      password_hash: null,
      totp_secret_enc: null,
      totp_enabled_at: null,
      totp_pending_enc: null,
      totp_last_step: null,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.d.db.transaction(async (trx) => {
        await trx.insertInto('operators').values(row).execute();
        await this.d.audit.record(actor, 'operator.create', { type: 'operator', id: row.id }, null, toView(row), null, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'email')) throw new OperatorError(`an operator with email ${v.email} already exists`, 'conflict');
      throw err;
    }
    const link = await this.d.links.issue('admin_setup', row.id);
    return { operator: toView(row), setupUrl: link.url, expiresAt: link.expiresAt };
  }

  async list(): Promise<OperatorView[]> {
    const rows = await this.d.db.kysely.selectFrom('operators').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toView);
  }

  /** By id or email; disabled ones included (the CLI manages them). */
  async get(idOrEmail: string): Promise<OperatorView> {
    return toView(await this.row(idOrEmail));
  }

  /** A new set-up link (first log-in, or a forgotten password); earlier links stop working. */
  async issueSetupLink(idOrEmail: string, actor: AuditActor): Promise<{ url: string; expiresAt: number }> {
    const op = await this.row(idOrEmail);
    if (op.disabled_at !== null) throw new OperatorError(`${op.email} is disabled`, 'conflict');
    const link = await this.d.links.issue('admin_setup', op.id);
    await this.d.audit.record(actor, 'operator.setup_link', { type: 'operator', id: op.id }, null, null);
    return link;
  }

  /**
   * Disables an operator: its sessions end at once and it can no longer log in. Nobody disables
   * themselves, and the last enabled owner stays (else nobody could manage operators again): the
   * owners are read in the transaction, locked on PostgreSQL, so two owners disabling each other
   * at once cannot both succeed.
   */
  async disable(idOrEmail: string, actor: AuditActor): Promise<OperatorView> {
    return this.change(idOrEmail, actor, 'operator.disable', (op) => ({ disabled_at: op.disabled_at ?? this.d.clock() }), async (trx, op) => {
      if (op.disabled_at !== null) return;
      if (actor.type === 'operator' && actor.id === op.id) throw new OperatorError('you cannot disable yourself', 'conflict');
      if (op.role !== 'owner') return;
      let owners = trx.selectFrom('operators').select('id').where('role', '=', 'owner').where('disabled_at', 'is', null);
      if (this.d.db.rowLocks) owners = owners.forUpdate();
      if ((await owners.execute()).every((o) => o.id === op.id)) throw new OperatorError(`${op.email} is the last owner: make another owner first`, 'conflict');
    });
  }

  /** Removes an operator's second factor (a lost phone); its sessions end. */
  async resetTotp(idOrEmail: string, actor: AuditActor): Promise<OperatorView> {
    return this.change(idOrEmail, actor, 'operator.reset_totp', () => ({ totp_secret_enc: null, totp_enabled_at: null, totp_pending_enc: null, totp_last_step: null }));
  }

  /** Sets the password through a set-up link; null when the link is unknown, used or expired. */
  async setup(token: unknown, password: string): Promise<OperatorView | null> {
    const id = await this.d.links.setPassword('admin_setup', token, password, async (trx, subject, hash) => {
      const r = await trx.updateTable('operators').set({ password_hash: hash, updated_at: this.d.clock() }).where('id', '=', subject).where('disabled_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
    return id ? this.get(id) : null;
  }

  /**
   * Checks a log-in. The password is verified even for an unknown or disabled email (same time
   * either way); TOTP_REQUIRED is only ever said once the password was right.
   */
  async login(email: string, password: string, code: string | undefined): Promise<LoginResult> {
    const op = await this.d.db.kysely.selectFrom('operators').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    const passwordOk = await verifyPassword(op?.password_hash, password);
    if (!op || !passwordOk || op.disabled_at !== null) return { ok: false, reason: 'invalid' };
    if (op.totp_secret_enc !== null) {
      if (code === undefined || code === '') return { ok: false, reason: 'totp_required' };
      if (!(await this.useCode(op, this.d.secrets.decrypt(op.totp_secret_enc), code))) return { ok: false, reason: 'invalid' };
    }
    return { ok: true, operator: toView(op) };
  }

  /** Starts TOTP enrolment: a new secret, effective once `confirmTotp` receives a code from it. */
  async enrollTotp(id: string): Promise<{ secret: string; otpauthUrl: string; qrSvg: string }> {
    const op = await this.row(id);
    if (op.totp_secret_enc !== null) throw new OperatorError('two-factor authentication is already on: disable it first', 'conflict');
    const secret = newTotpSecret();
    await this.d.db.kysely.updateTable('operators').set({ totp_pending_enc: this.d.secrets.encrypt(secret), updated_at: this.d.clock() }).where('id', '=', op.id).execute();
    const url = otpauthUrl(secret, op.email);
    // Drawn here, as SVG markup: the page shows it inline, with no image URL and no script.
    return { secret, otpauthUrl: url, qrSvg: renderSVG(url, { border: 2 }) };
  }

  /** Turns TOTP on with a code from the enrolled secret; the operator's other sessions end. */
  async confirmTotp(id: string, code: string, keepSession: string, actor: AuditActor): Promise<OperatorView> {
    const op = await this.row(id);
    if (op.totp_pending_enc === null) throw new OperatorError('start enrolment first', 'conflict');
    const secretEnc = op.totp_pending_enc;
    const step = acceptTotp(this.d.secrets.decrypt(secretEnc), code, this.d.clock(), null);
    if (step === null) throw new OperatorError('the code is not valid: check the time on the phone and try the next one');
    await this.d.db.transaction(async (trx) => {
      const now = this.d.clock();
      await trx.updateTable('operators').set({ totp_secret_enc: secretEnc, totp_enabled_at: now, totp_pending_enc: null, totp_last_step: step, updated_at: now }).where('id', '=', op.id).execute();
      await this.d.sessions.endAll('admin', op.id, keepSession, trx);
      await this.d.audit.record(actor, 'operator.totp_enable', { type: 'operator', id: op.id }, { totpEnabled: false }, { totpEnabled: true }, null, trx);
    });
    return this.get(op.id);
  }

  /** Turns TOTP off: needs the password and a current code. False when either is wrong. */
  async disableTotp(id: string, password: string, code: string, keepSession: string, actor: AuditActor): Promise<OperatorView | null> {
    const op = await this.row(id);
    if (op.totp_secret_enc === null) throw new OperatorError('two-factor authentication is not on', 'conflict');
    if (!(await verifyPassword(op.password_hash, password)) || !(await this.useCode(op, this.d.secrets.decrypt(op.totp_secret_enc), code))) return null;
    await this.d.db.transaction(async (trx) => {
      await trx.updateTable('operators').set({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null, updated_at: this.d.clock() }).where('id', '=', op.id).execute();
      await this.d.sessions.endAll('admin', op.id, keepSession, trx);
      await this.d.audit.record(actor, 'operator.totp_disable', { type: 'operator', id: op.id }, { totpEnabled: true }, { totpEnabled: false }, null, trx);
    });
    return this.get(op.id);
  }

  /** A new password after the current one (false: wrong, nothing changed); other sessions end. */
  async changePassword(id: string, current: string, next: string, keepSession: string, actor: AuditActor): Promise<boolean> {
    return changePassword(this.d, 'admin', id, current, next, keepSession, actor);
  }

  /** Accepts a code once: the step is recorded only if no concurrent request took it first. */
  private async useCode(op: Operator, secret: string, code: string): Promise<boolean> {
    const step = acceptTotp(secret, code, this.d.clock(), op.totp_last_step);
    if (step === null) return false;
    const r = await this.d.db.kysely
      .updateTable('operators')
      .set({ totp_last_step: step })
      .where('id', '=', op.id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async change(
    idOrEmail: string,
    actor: AuditActor,
    action: string,
    patch: (op: Operator) => Partial<Operator>,
    check?: (trx: Transaction<Database>, op: Operator) => Promise<void>,
  ): Promise<OperatorView> {
    const op = await this.row(idOrEmail);
    const changes = { ...patch(op), updated_at: this.d.clock() };
    const next = { ...op, ...changes };
    await this.d.db.transaction(async (trx) => {
      await check?.(trx, op);
      await trx.updateTable('operators').set(changes).where('id', '=', op.id).execute();
      await this.d.sessions.endAll('admin', op.id, null, trx);
      await this.d.audit.record(actor, action, { type: 'operator', id: op.id }, toView(op), toView(next), null, trx);
    });
    return toView(next);
  }

  private async row(idOrEmail: string): Promise<Operator> {
    const key = idOrEmail.trim();
    const op = await this.d.db.kysely
      .selectFrom('operators')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', key), eb('email', '=', key.toLowerCase())]))
      .executeTakeFirst();
    if (!op) throw new OperatorError(`no operator with id or email "${key}"`, 'not_found');
    return op;
  }
}

function toView(r: Operator): OperatorView {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    totpEnabled: r.totp_secret_enc !== null,
    active: r.password_hash !== null,
    disabled: r.disabled_at !== null,
    createdAt: r.created_at,
  };
}
