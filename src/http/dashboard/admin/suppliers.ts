import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { SyncRun } from '../../../catalog/sync/runs.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { errors, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: suppliers'];
const name = z.object({ name: z.string().min(1).max(64) });

const supplier = z
  .object({
    name: z.string(),
    kind: z.string(),
    title: z.string(),
    active: z.boolean(),
    baseUrl: z.string().nullable(),
    callbackUrl: z.string().nullable(),
    config: z.record(z.string(), z.unknown()).describe('credentials masked'),
    lastBalance: z
      .object({ balance: z.number().int().nullable(), error: z.string().nullable(), checkedAt: z.number().int() })
      .nullable()
      .describe('the last balance the worker read (SUPPLIER_BALANCE_INTERVAL_MIN)'),
  })
  .meta({ id: 'AdminSupplier' });
const configField = z
  .object({
    key: z.string(),
    type: z.enum(['text', 'number', 'boolean', 'choice', 'json']).describe('json: an object or a union; send it as JSON'),
    required: z.boolean(),
    secret: z.boolean().describe('a credential: a password input; never shown back'),
    default: z.unknown(),
    options: z.array(z.string()).nullable(),
  })
  .meta({ id: 'SupplierConfigField' });
const kind = z.object({ kind: z.string(), title: z.string(), callbacks: z.boolean(), fields: z.array(configField) }).meta({ id: 'SupplierKind' });
const balance = z.union([z.object({ ok: z.literal(true), balance: z.number().int() }), z.object({ ok: z.literal(false), reason: z.string() })]).meta({ id: 'SupplierBalance' });
const syncRun = z
  .object({
    supplier: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    startedAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
    progress: z.object({ phase: z.enum(['fetch', 'apply']), done: z.number().int(), total: z.number().int().nullable() }).nullable(),
    summary: z
      .object({
        dryRun: z.boolean(),
        fetched: z.number().int(),
        created: z.number().int(),
        costChanged: z.number().int(),
        deactivated: z.number().int(),
        reactivated: z.number().int(),
        repriced: z.number().int(),
        belowCost: z.number().int(),
        unpriced: z.number().int(),
      })
      .nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'CatalogSyncRun' });

function runJson(r: SyncRun) {
  const s = r.report;
  return {
    supplier: r.supplier,
    state: r.state,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    progress: r.progress,
    summary: s
      ? {
          dryRun: s.dryRun,
          fetched: s.fetched,
          created: s.created.length,
          costChanged: s.costChanged.length,
          deactivated: s.deactivated.length,
          reactivated: s.reactivated.length,
          repriced: s.repriced.length,
          belowCost: s.belowCost.length,
          unpriced: s.unpriced.length,
        }
      : null,
    error: r.error,
  };
}

/**
 * Supplier accounts for operators: everyone may look, ask for a live balance and test the
 * credentials (the same harmless signed call); adding an account, switching it and syncing its
 * catalog are the owner's. A sync runs in the background of this api process; its progress is
 * polled. Credentials never leave the service unmasked: not in an answer, not in the audit log.
 */
export function adminSupplierRoutes(app: DashboardApp, k: Kios): void {
  const anyone = requireOperator();
  const owner = requireOperator({ owner: true });
  const view = async (supplierName: string) => {
    const s = await k.suppliers.show(supplierName);
    const b = await k.db.kysely.selectFrom('supplier_balances').selectAll().where('supplier_id', '=', s.name).executeTakeFirst();
    return { name: s.name, kind: s.kind, title: s.title, active: s.active, baseUrl: s.baseUrl, callbackUrl: s.callbackUrl, config: s.config, lastBalance: b ? { balance: b.balance, error: b.error, checkedAt: b.checked_at } : null };
  };

  app.get('/suppliers', { onRequest: anyone, schema: { tags, summary: 'Supplier accounts with their last known balance', response: { 200: z.object({ items: z.array(supplier) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: await Promise.all((await k.suppliers.list()).map((s) => view(s.name))),
  }));

  app.get('/suppliers/kinds', { onRequest: anyone, schema: { tags, summary: 'The kinds of supplier kios can buy from, with the settings each needs', response: { 200: z.object({ items: z.array(kind) }), ...errors(...SESSION_ERRORS) } } }, async () => ({
    items: k.suppliers.kinds(),
  }));

  app.post(
    '/suppliers',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Add a supplier account (owners), as `kios supplier add`',
        description: "The configuration is checked against the kind's settings (GET /suppliers/kinds) and stored encrypted; its credentials are never shown back.",
        body: z.object({
          kind: z.string().min(1).max(32),
          name: z.string().min(1).max(64).describe('the handle routes and the callback URL use: lowercase letters, digits, - or _'),
          title: z.string().max(100).optional(),
          config: z.record(z.string(), z.unknown()),
        }),
        response: { 200: z.object({ supplier }), ...errors(...WRITE_ERRORS) },
      },
    },
    async (req) => {
      const { kind: kindName, name: supplierName, title, config } = req.body;
      const s = await k.suppliers.add(kindName, supplierName, config, { title });
      // The service's view: every credential already masked.
      await k.audit.record(actorOf(req), 'supplier.add', { type: 'supplier', id: s.name }, null, { kind: s.kind, title: s.title, active: s.active, config: s.config });
      return { supplier: await view(s.name) };
    },
  );

  for (const [verb, summary] of [
    ['test', 'Test the credentials with a harmless signed call (the balance)'],
    ['balance', "kios's live balance at this supplier"],
  ] as const) {
    app.post(`/suppliers/:name/${verb}`, { onRequest: anyone, schema: { tags, summary, params: name, response: { 200: balance, ...errors(...WRITE_ERRORS, 404) } } }, async (req) => k.suppliers.balance(req.params.name));
  }

  for (const [verb, active] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/suppliers/:name/${verb}`,
      {
        onRequest: owner,
        schema: {
          tags,
          summary: active ? 'Route new orders to this supplier again (owners)' : 'Stop routing new orders to this supplier (owners); orders in flight are still followed',
          params: name,
          response: { 200: z.object({ supplier }), ...errors(...WRITE_ERRORS, 404) },
        },
      },
      async (req) => {
        const before = await k.suppliers.show(req.params.name);
        await k.suppliers.setActive(before.name, active);
        await k.audit.record(actorOf(req), `supplier.${verb}`, { type: 'supplier', id: before.name }, { active: before.active }, { active });
        return { supplier: await view(before.name) };
      },
    );
  }

  app.post(
    '/suppliers/:name/sync',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: "Start a catalog sync of this supplier (owners); poll GET .../sync for its progress",
        params: name,
        body: z.object({ dryRun: z.boolean().default(false) }),
        response: { 200: z.object({ run: syncRun }), ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const s = await k.suppliers.show(req.params.name);
      const run = k.syncRuns.start(s.name, { dryRun: req.body.dryRun });
      await k.audit.record(actorOf(req), 'supplier.sync', { type: 'supplier', id: s.name }, null, { dryRun: req.body.dryRun, startedAt: run.startedAt });
      return { run: runJson(run) };
    },
  );

  app.get(
    '/suppliers/:name/sync',
    {
      onRequest: anyone,
      schema: { tags, summary: 'The last catalog sync this process started for the supplier, with its progress (null: none)', params: name, response: { 200: z.object({ run: syncRun.nullable() }), ...errors(...SESSION_ERRORS, 404) } },
    },
    async (req) => {
      const s = await k.suppliers.show(req.params.name);
      const run = k.syncRuns.get(s.name);
      return { run: run ? runJson(run) : null };
    },
  );
}
