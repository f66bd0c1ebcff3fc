import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import type { Clock } from '../domain/clock.js';

export type AlertKind = 'supplier_account' | 'supplier_flag' | 'supplier_balance_low' | 'catalog_sync_failed' | 'price_below_cost';

export interface Alert {
  kind: AlertKind;
  message: string;
  supplier?: string;
  order?: string;
  data?: Record<string, unknown>;
}

/** The same alert (kind + supplier + order) is sent at most once per this window. */
const REPEAT_MS = 10 * 60_000;
const SEND_TIMEOUT_MS = 5_000;

/**
 * Things only the operator can fix (a supplier refusing kios's credentials, a low supplier
 * balance, an order a supplier flagged for review). Every alert is logged at error level; with
 * OPERATOR_ALERT_URL it is also POSTed there as JSON, best effort: the log (and the order's
 * events, where the caller records one) is the record, the webhook only gets someone's attention,
 * so it never blocks or fails the work that raised it. Repeats within ten minutes are not re-sent.
 */
export class OperatorAlerts {
  readonly #lastSent = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly d: { url: string | undefined; dispatcher: Dispatcher; clock: Clock; log: Logger }) {}

  raise(alert: Alert): void {
    this.d.log.error({ alert: alert.kind, supplier: alert.supplier, order: alert.order, ...alert.data }, alert.message);
    if (!this.d.url) return;
    const key = `${alert.kind}|${alert.supplier ?? ''}|${alert.order ?? ''}`;
    const now = this.d.clock();
    const last = this.#lastSent.get(key);
    if (last !== undefined && now - last < REPEAT_MS) return;
    this.#lastSent.set(key, now);
    if (this.#lastSent.size > 10_000) this.#lastSent.clear();
    const sent = this.#send(this.d.url, { ...alert, at: new Date(now).toISOString() }).finally(() => this.#inFlight.delete(sent));
    this.#inFlight.add(sent);
  }

  /** Waits for alerts still being sent (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #send(url: string, body: unknown): Promise<void> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'kios-alerts' },
        body: JSON.stringify(body),
        dispatcher: this.d.dispatcher,
        headersTimeout: SEND_TIMEOUT_MS,
        bodyTimeout: SEND_TIMEOUT_MS,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.d.log.warn({ status: res.statusCode }, 'operator alert webhook refused the alert');
    } catch (err) {
      this.d.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'operator alert webhook unreachable');
    }
  }
}
