import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types. Conventions (one choice everywhere):
 * - time is epoch milliseconds in a BIGINT (`*_at` columns);
 * - money is integer rupiah in a BIGINT;
 * - booleans are INTEGER 0/1 (portable, and the protocol renders most of them as 1/0 anyway);
 * - structured values are JSON text.
 */

export interface MetaTable {
  key: string;
  value: string;
}

export interface RoleTable {
  code: string;
  name: string;
  sort_order: number;
  created_at: number;
}

export interface ResellerTable {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  role_code: string;
  api_key_digest: string;
  api_key_enc: string;
  balance: number;
  /** JSON array of IPs / CIDRs; empty allows every address. */
  ip_whitelist: string;
  webhook_url: string | null;
  created_at: number;
  updated_at: number;
  /** APIGames-style merchant id of the voucher-redeem API (0005), generated once; unique. */
  merchant_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The member dashboard's password (argon2id, 0007); null until the reseller used a set-up link. */
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** When an operator disabled it (0010); null while it may trade. */
  disabled_at: ColumnType<number | null, number | null | undefined, number | null>;
}

/** `redeem_fee`: the fee of one successfully redeemed voucher (reference `redeem-fee:<voucher id>`). */
export type LedgerKind = 'deposit' | 'order_debit' | 'refund' | 'partial_refund' | 'adjustment' | 'redeem_fee';
export type OrderLeg = 'debit' | 'refund';

export interface LedgerEntryTable {
  seq: Generated<number>;
  id: string;
  reseller_id: string;
  kind: LedgerKind;
  /** Signed: positive credits the balance, negative debits it. */
  amount: number;
  balance_after: number;
  order_id: string | null;
  /** With `order_id`, unique: an order has at most one debit and at most one refund. */
  order_leg: OrderLeg | null;
  /** Caller-supplied idempotency reference for deposits/adjustments, unique per reseller. */
  reference: string | null;
  note: string | null;
  created_at: number;
}

export interface CategoryTable {
  id: string;
  code: string;
  type: string;
  title: string;
  subtitle: string | null;
  slug: string;
  photo: string | null;
  banner: string | null;
  is_active: number;
  is_server: number;
  is_popular: number;
  is_hotsale: number;
  sort_order: number;
  /** Regex with named groups `user` and `server` splitting a concatenated destination (Otomax). */
  destination_split: string | null;
  /** Whether orders run the supplier's account (nickname) check before charging. */
  check_account: number;
  /** The buyer's input form (JSON, domain/input-form), or null: user_id (and server_id if `is_server`). */
  form: string | null;
  created_at: number;
  updated_at: number;
}

export interface ProductTable {
  id: string;
  code: string;
  name: string;
  logo: string | null;
  category_id: string;
  is_active: number;
  sort_order: number;
  /** Overrides the category's form when set. */
  form: string | null;
  created_at: number;
  updated_at: number;
}

export interface ProductPriceTable {
  product_id: string;
  role_code: string;
  price: number;
}

export interface SupplierTable {
  id: string;
  kind: string;
  name: string;
  /** Connector options, encrypted with KIOS_SECRET_KEY (they hold supplier credentials). */
  config_enc: string | null;
  is_active: number;
  created_at: number;
  updated_at: number;
}

/** One way to buy a product: a supplier account and its SKU, tried in `priority` order. */
export interface ProductRouteTable {
  id: string;
  product_id: string;
  supplier_id: string;
  sku: string;
  /** The supplier's price to kios (integer rupiah), for margins; null when unknown. */
  cost: number | null;
  priority: number;
  is_active: number;
  created_at: number;
  updated_at: number;
}

/**
 * sending: a purchase may be on its way (not known to have arrived); sent: the supplier has it,
 * undecided; then success / partial / failed (explicitly refused: the next route may be tried)
 * / reversed (the supplier undid a success).
 */
export type AttemptState = 'sending' | 'sent' | 'success' | 'partial' | 'failed' | 'reversed';

/** One purchase of an order from one supplier route. */
export interface OrderAttemptTable {
  order_id: string;
  /** 1, 2, ...: attempt n+1 exists only once attempt n failed explicitly. */
  n: number;
  supplier_id: string;
  sku: string;
  cost: number | null;
  /** The reference sent to the supplier (`<order id>-<n>`); unique per supplier account. */
  ref: string;
  /** The supplier's own id for the transaction, once it said one. */
  supplier_ref: string | null;
  state: AttemptState;
  reason: string | null;
  /** Why a failed attempt was refused (connectors' FailureScope). */
  scope: string | null;
  /** The purchase request and the latest answer, as recorded exchanges (JSON, secrets masked). */
  request: string | null;
  response: string | null;
  /** Status checks made so far: the index into the re-check schedule. */
  checks: number;
  started_at: number;
  answered_at: number | null;
  finished_at: number | null;
  /** How long the purchase call took. */
  duration_ms: number | null;
}

/** One call to a rate-limited supplier account, kept for the length of its window. */
export interface SupplierCallTable {
  seq: Generated<number>;
  supplier_id: string;
  at: number;
}

/** The last catalog seen per supplier account, mapped onto kios products. */
export interface SupplierProductTable {
  supplier_id: string;
  sku: string;
  name: string;
  brand: string;
  category: string | null;
  cost: number;
  is_active: number;
  /** The kios product this supplier product is sold as (its route), once mapped. */
  product_id: string | null;
  seen_at: number;
  updated_at: number;
}

export interface SupplierBrandTable {
  supplier_id: string;
  brand: string;
  category_id: string;
  /** The brand's form as the supplier last published it. */
  form: string | null;
}

/** A markup rule: price = cost + percent + fixed, rounded up to `round_step`; the most specific scope wins. */
export interface PriceRuleTable {
  id: string;
  role_code: string;
  category_id: string | null;
  product_id: string | null;
  /** `all`, `category:<id>` or `product:<id>`. */
  scope_key: string;
  /** Percent in basis points (3% = 300). */
  percent_bp: number;
  fixed: number;
  round_step: number;
  created_at: number;
}

export interface SupplierBalanceTable {
  supplier_id: string;
  balance: number | null;
  error: string | null;
  checked_at: number;
  alerted_at: number | null;
}

export interface LeaseTable {
  name: string;
  holder: string;
  until: number;
}

export type OrderChannel = 'api' | 'otomax';

export interface OrderTable {
  id: string;
  reseller_id: string;
  invoice_number: string;
  trx_id: string | null;
  channel: OrderChannel;
  product_id: string;
  product_code: string;
  product_name: string;
  category_code: string;
  category_title: string;
  category_subtitle: string | null;
  category_type: string;
  user_id: string;
  server_id: string | null;
  /** The product's form as filled at intake (JSON `[{key,value}]`), null when it has none. */
  inputs: string | null;
  nickname: string | null;
  price: number;
  amount: number;
  status: string;
  /** The RefId shown to the reseller: the supplier's reference once known, else a placeholder. */
  ref: string;
  response_note: string;
  sn: string | null;
  voucher: string | null;
  failure_reason: string | null;
  refunded_amount: number;
  callback_url: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export type JobKind = 'fulfil' | 'callback' | 'redeem';
export type JobStatus = 'queued' | 'done' | 'dead';

export interface JobTable {
  id: string;
  kind: JobKind;
  order_id: string | null;
  /** Unique when set: one fulfilment per order, one callback per order status event. */
  dedupe_key: string | null;
  payload: string;
  status: JobStatus;
  attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  /** Incremented by every wake-up, so a run that overlaps one is followed by another at once. */
  wakeups: number;
  created_at: number;
  updated_at: number;
}

export interface CallbackAttemptTable {
  seq: Generated<number>;
  job_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  response_code: number | null;
  outcome: 'delivered' | 'failed' | 'refused';
  error: string | null;
}

export interface OrderEventTable {
  seq: Generated<number>;
  order_id: string;
  at: number;
  type: string;
  data: ColumnType<string | null, string | null | undefined, string | null>;
}

/** open: vouchers still to decide; done: every voucher final (the completion callback is queued). */
export type RedeemProjectStatus = 'open' | 'done';

export interface RedeemProjectTable {
  /** The numeric `id` of the protocol. */
  seq: Generated<number>;
  /** The public project id (`R241130ABCD000123`). */
  project_id: string;
  reseller_id: string;
  /** `simulator` or a supplier id: frozen at intake. */
  engine: string;
  /** Fee per successful voucher (integer rupiah), frozen at intake. */
  fee: number;
  /** The Kiosgamer session key, encrypted; cleared when the project is done. */
  session_key_enc: string | null;
  total: number;
  status: RedeemProjectStatus;
  /** Times `kios redeem retry` re-opened it: each completion has its own callback. */
  rounds: Generated<number>;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface RedeemVoucherTable {
  /** The numeric voucher `id` of the protocol. */
  id: Generated<number>;
  project_seq: number;
  reseller_id: string;
  /** 1..total within the project, in submission order. */
  n: number;
  code: string;
  /** 0 pending, 1 success, 2 process, 3 error_engine, 4 error_voucher. */
  status: number;
  nominal_gs: number;
  note: string;
  response_json: string;
  /** Engine submissions made for this voucher so far. */
  tries: number;
  /** A pending voucher is not sent before this time (retry back-off). */
  next_at: number;
  batch_id: string | null;
  /** The fee this voucher costs when it succeeds (the project's fee). */
  fee: number;
  /** The ledger entry that charged the fee, once charged. */
  fee_entry: string | null;
  created_at: number;
  updated_at: number;
}

/** sending: committed before the submission goes out (it may or may not have arrived); sent: the engine has it; done. */
export type RedeemBatchState = 'sending' | 'sent' | 'done';

export interface RedeemBatchTable {
  /** `<project id>-<n>`: the reference the engine deduplicates submissions on. */
  id: string;
  project_seq: number;
  engine: string;
  state: RedeemBatchState;
  /** The engine's own reference (an upstream project id), once it gave one. */
  engine_ref: string | null;
  size: number;
  created_at: number;
  updated_at: number;
}

/** pending until confirmed (credited), cancelled, or past `expires_at` (expired); the last three are final. */
export type DepositStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired';

export interface DepositTicketTable {
  /** `dep_...`; also the reference of its ledger credit. */
  id: string;
  reseller_id: string;
  /** What the reseller asked to deposit: what is credited is `total`. */
  amount: number;
  /** 1..999: tells this ticket's transfer apart from others on the bank statement. */
  unique_code: number;
  /** amount + unique_code: the exact sum to transfer, unique among pending tickets. */
  total: number;
  status: DepositStatus;
  /** `bank_transfer`; a payment gateway's own later. */
  method: string;
  /** Snapshot of the operator's account the reseller was told to pay into. */
  bank_code: string | null;
  bank_name: string | null;
  bank_account_number: string | null;
  bank_account_holder: string | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  /** `cli`, `operator:<id>`, `gateway:<name>`. */
  confirmed_by: string | null;
  /** `cli`, `operator:<id>`, `reseller:<id>`. */
  cancelled_by: string | null;
  /** The bank's or gateway's payment reference; unique per method. */
  external_ref: string | null;
  ledger_entry_id: string | null;
  note: string | null;
}

export type OperatorRole = 'owner' | 'staff';

export interface OperatorTable {
  id: string;
  /** Lowercase; unique. */
  email: string;
  name: string;
  role: OperatorRole;
  /** argon2id; null until the set-up link is used. */
  password_hash: string | null;
  /** The TOTP secret (base32), encrypted with the SecretBox; set once enrolment is confirmed. */
  totp_secret_enc: string | null;
  totp_enabled_at: number | null;
  /** A secret being enrolled, encrypted, until a code confirms it. */
  totp_pending_enc: string | null;
  /** The last accepted TOTP time step: a code is never accepted twice. */
  totp_last_step: number | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export type AuthTokenKind = 'member_setup' | 'admin_setup';

export interface AuthTokenTable {
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  digest: string;
  kind: AuthTokenKind;
  /** A reseller id (member_setup) or an operator id (admin_setup). */
  subject_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type SessionRealm = 'member' | 'admin';

export interface SessionTable {
  /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
  digest: string;
  realm: SessionRealm;
  subject_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** The absolute end of the session, whatever its activity. */
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditLogTable {
  id: string;
  at: number;
  /** `operator` (a dashboard user), `cli` (the command line) or `member`. */
  actor_type: string;
  actor_id: string | null;
  actor_email: string | null;
  /** Dotted verb, e.g. `operator.invite`, `reseller.deposit`. */
  action: string;
  target_type: string;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
  reason: string | null;
  ip: string | null;
}

/** One row (id 1): see migration 0012. Bumped by triggers only. */
export interface CatalogVersionTable {
  id: number;
  version: number;
  /** PostgreSQL: the transaction that bumped last (one bump per transaction). */
  txid: number | null;
}

export interface Database {
  meta: MetaTable;
  catalog_version: CatalogVersionTable;
  roles: RoleTable;
  resellers: ResellerTable;
  ledger_entries: LedgerEntryTable;
  categories: CategoryTable;
  products: ProductTable;
  product_prices: ProductPriceTable;
  suppliers: SupplierTable;
  product_routes: ProductRouteTable;
  orders: OrderTable;
  order_attempts: OrderAttemptTable;
  supplier_calls: SupplierCallTable;
  jobs: JobTable;
  callback_attempts: CallbackAttemptTable;
  order_events: OrderEventTable;
  supplier_products: SupplierProductTable;
  supplier_brands: SupplierBrandTable;
  price_rules: PriceRuleTable;
  supplier_balances: SupplierBalanceTable;
  leases: LeaseTable;
  redeem_projects: RedeemProjectTable;
  redeem_vouchers: RedeemVoucherTable;
  redeem_batches: RedeemBatchTable;
  deposit_tickets: DepositTicketTable;
  operators: OperatorTable;
  auth_tokens: AuthTokenTable;
  sessions: SessionTable;
  audit_log: AuditLogTable;
}

export type Reseller = Selectable<ResellerTable>;
export type Order = Selectable<OrderTable>;
export type NewOrder = Insertable<OrderTable>;
export type OrderUpdate = Updateable<OrderTable>;
export type Job = Selectable<JobTable>;
export type OrderAttempt = Selectable<OrderAttemptTable>;
export type ProductRoute = Selectable<ProductRouteTable>;
export type Supplier = Selectable<SupplierTable>;
export type Category = Selectable<CategoryTable>;
export type Product = Selectable<ProductTable>;
export type LedgerEntry = Selectable<LedgerEntryTable>;
export type PriceRule = Selectable<PriceRuleTable>;
export type RedeemProject = Selectable<RedeemProjectTable>;
export type RedeemVoucher = Selectable<RedeemVoucherTable>;
export type RedeemBatch = Selectable<RedeemBatchTable>;
export type DepositTicketRow = Selectable<DepositTicketTable>;
export type Operator = Selectable<OperatorTable>;
export type SessionRow = Selectable<SessionTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
