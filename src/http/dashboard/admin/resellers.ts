import { z } from 'zod';
import type { Kios } from '../../../app.js';
import type { ResellerDetail } from '../../../resellers/admin.js';
import { actorOf, requireOperator, type DashboardApp } from '../plugin.js';
import { emailSchema, errors, pageOf, pageQuery, SESSION_ERRORS, WRITE_ERRORS } from '../schemas.js';

const tags = ['admin: resellers'];
const id = z.object({ id: z.string().min(1).max(200) });
const reason = z.string().trim().min(1, 'give a reason').max(500);

const resellerRow = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    tier: z.string(),
    balance: z.number().int(),
    disabled: z.boolean(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'AdminResellerRow' });

const ledgerEntry = z
  .object({
    id: z.string(),
    kind: z.string(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    orderId: z.string().nullable(),
    reference: z.string().nullable(),
    note: z.string().nullable(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'AdminLedgerEntry' });

const resellerDetail = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    tier: z.object({ code: z.string(), name: z.string() }),
    balance: z.number().int(),
    whitelist: z.array(z.string()),
    webhookUrl: z.string().nullable(),
    merchantId: z.string().nullable(),
    apiKeyMasked: z.string(),
    disabledAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    recentLedger: z.array(ledgerEntry),
  })
  .meta({ id: 'AdminResellerDetail' });

const detailResponse = z.object({ reseller: resellerDetail });
const setupLink = { setupUrl: z.string(), expiresAt: z.number().int() };

function detailJson(r: ResellerDetail) {
  return {
    reseller: {
      id: r.id,
      name: r.name,
      email: r.email,
      phone: r.phone,
      tier: { code: r.roleCode, name: r.roleName },
      balance: r.balance,
      whitelist: r.ipWhitelist,
      webhookUrl: r.webhookUrl,
      merchantId: r.merchantId,
      apiKeyMasked: r.apiKeyMasked,
      disabledAt: r.disabledAt,
      createdAt: r.createdAt,
      recentLedger: r.recentLedger.map((e) => ({
        id: e.id,
        kind: e.kind,
        amount: e.amount,
        balanceAfter: e.balance_after,
        orderId: e.order_id,
        reference: e.reference,
        note: e.note,
        createdAt: e.created_at,
      })),
    },
  };
}

/**
 * Resellers for operators. Staff may look at everything and edit a reseller's whitelist and
 * webhook (what a reseller's support call is about); creating one, its tier, its balance,
 * disabling it and its set-up link are the owner's. Every change is written to the audit log
 * in the change's own transaction (set-up links by `MemberAccounts.invite`).
 */
export function adminResellerRoutes(app: DashboardApp, k: Kios): void {
  const anyone = requireOperator();
  const owner = requireOperator({ owner: true });
  const detail = async (resellerId: string) => detailJson(await k.resellerAdmin.detail(resellerId));
  const target = (resellerId: string) => ({ type: 'reseller', id: resellerId });
  /** Resolves the path's id first, so an unknown one is a 404 before anything is written. */
  const idOf = async (raw: string) => (await k.resellers.get(raw)).id;

  app.get(
    '/resellers',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Resellers, newest first; q searches name, email and id',
        querystring: pageQuery.extend({ q: z.string().trim().max(200).optional() }),
        response: { 200: pageOf(resellerRow), ...errors(400, ...SESSION_ERRORS) },
      },
    },
    async (req) => {
      const page = await k.resellerAdmin.list(req.query);
      return { items: page.items.map((r) => ({ id: r.id, name: r.name, email: r.email, tier: r.roleCode, balance: r.balance, disabled: r.disabledAt !== null, createdAt: r.createdAt })), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/resellers',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Create a reseller (owners): its API key, shown only in this answer, and a dashboard set-up link',
        body: z.object({
          name: z.string().trim().min(1).max(100),
          email: emailSchema,
          phone: z.string().trim().max(21).nullish(),
          tier: z.string().trim().min(1).max(32).default('member'),
        }),
        response: { 200: detailResponse.extend({ apiKey: z.string(), ...setupLink }), ...errors(...WRITE_ERRORS, 409) },
      },
    },
    async (req) => {
      const b = req.body;
      const actor = actorOf(req);
      const { reseller, apiKey } = await k.resellers.create({ name: b.name, email: b.email, phone: b.phone || null, role: b.tier });
      await k.audit.record(actor, 'reseller.create', target(reseller.id), null, { name: reseller.name, email: reseller.email, tier: reseller.roleCode });
      const link = await k.members.invite(reseller.id, actor);
      return { ...(await detail(reseller.id)), apiKey, setupUrl: link.url, expiresAt: link.expiresAt };
    },
  );

  app.get(
    '/resellers/:id',
    { onRequest: anyone, schema: { tags, summary: 'One reseller: balance, tier, whitelist, webhook, masked key, recent ledger', params: id, response: { 200: detailResponse, ...errors(404, ...SESSION_ERRORS) } } },
    async (req) => detail(req.params.id),
  );

  app.post(
    '/resellers/:id/tier',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Move a reseller to another price tier (owners)',
        params: id,
        body: z.object({ tier: z.string().trim().min(1).max(32), reason: reason.optional() }),
        response: { 200: detailResponse, ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const rid = await idOf(req.params.id);
      await k.resellerAdmin.setTier(rid, req.body.tier, k.audit.within(actorOf(req), 'reseller.tier', target(rid), req.body.reason ?? null));
      return detail(rid);
    },
  );

  app.post(
    '/resellers/:id/balance',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'Deposit (credit) or adjust (credit or debit) a balance by hand, with a reason (owners)',
        description:
          'A deposit credits `amount` (> 0); a `reference` (e.g. the bank transfer id) is never posted twice for one reseller (409). An adjustment credits a positive and debits a negative `amount`; a debit the balance does not cover is refused whole (409), nothing changed.',
        params: id,
        body: z.object({
          kind: z.enum(['deposit', 'adjust']),
          amount: z.number().int().refine((n) => n !== 0, 'amount cannot be 0'),
          reason,
          reference: z.string().trim().min(1).max(100).optional(),
        }),
        response: { 200: detailResponse.extend({ entryId: z.string() }), ...errors(...WRITE_ERRORS, 404, 409) },
      },
    },
    async (req) => {
      const rid = await idOf(req.params.id);
      const b = req.body;
      const within = k.audit.within<{ balance: number; entryId?: string }>(actorOf(req), b.kind === 'deposit' ? 'reseller.deposit' : 'reseller.adjust', target(rid), b.reason);
      const posted =
        b.kind === 'deposit'
          ? await k.resellers.deposit(rid, b.amount, { note: b.reason, reference: b.reference, within })
          : await k.resellers.adjust(rid, b.amount, b.reason, { reference: b.reference, within });
      return { ...(await detail(rid)), entryId: posted.entryId };
    },
  );

  const whitelistBody = z.object({ entry: z.string().trim().min(1).max(100) });
  for (const [path, action, summary] of [
    ['/resellers/:id/whitelist', 'add', 'Add an IP address or CIDR range to the whitelist'],
    ['/resellers/:id/whitelist/remove', 'remove', 'Remove an entry from the whitelist'],
  ] as const) {
    app.post(path, { onRequest: anyone, schema: { tags, summary, params: id, body: whitelistBody, response: { 200: detailResponse, ...errors(...WRITE_ERRORS, 404) } } }, async (req) => {
      const rid = await idOf(req.params.id);
      await k.resellers.whitelist(rid, action, req.body.entry, k.audit.within(actorOf(req), `reseller.whitelist.${action}`, target(rid)));
      return detail(rid);
    });
  }

  app.put(
    '/resellers/:id/webhook',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Set (or with null, clear) the default callback URL; private networks are refused',
        params: id,
        body: z.object({ url: z.string().trim().max(2000).nullable() }),
        response: { 200: detailResponse, ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const rid = await idOf(req.params.id);
      await k.resellers.setWebhook(rid, req.body.url, k.audit.within(actorOf(req), 'reseller.webhook', target(rid)));
      return detail(rid);
    },
  );

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(
      `/resellers/:id/${verb}`,
      {
        onRequest: owner,
        schema: {
          tags,
          summary: disabled ? 'Disable a reseller (owners): its API key, Otomax and redeem calls are refused and its dashboard sessions end' : 'Enable a disabled reseller again (owners)',
          params: id,
          body: z.object({ reason: reason.optional() }),
          response: { 200: detailResponse, ...errors(...WRITE_ERRORS, 404, 409) },
        },
      },
      async (req) => {
        const rid = await idOf(req.params.id);
        await k.resellerAdmin.setDisabled(rid, disabled, k.audit.within(actorOf(req), `reseller.${verb}`, target(rid), req.body.reason ?? null));
        return detail(rid);
      },
    );
  }

  app.post(
    '/resellers/:id/invite',
    {
      onRequest: owner,
      schema: {
        tags,
        summary: 'A new one-time dashboard set-up link for the reseller (owners); earlier links stop working',
        params: id,
        response: { 200: z.object(setupLink), ...errors(...WRITE_ERRORS, 404) },
      },
    },
    async (req) => {
      const link = await k.members.invite(await idOf(req.params.id), actorOf(req));
      return { setupUrl: link.url, expiresAt: link.expiresAt };
    },
  );
}
