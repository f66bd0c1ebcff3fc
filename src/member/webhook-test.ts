import type { Dispatcher } from 'undici';
import { sendCallback } from '../callbacks/deliver.js';
import type { CallbackUrlPolicy } from '../callbacks/url-policy.js';
import type { Clock } from '../domain/clock.js';
import { randomUUID } from 'node:crypto';
import { OperatorError, type ResellerService } from '../resellers/service.js';

export const TEST_BODY_LIMIT = 2048;

export interface WebhookTestResult {
  url: string;
  /** The receiver's HTTP status, null when none came (refused, unreachable, timed out). */
  status: number | null;
  /** The first 2 KB of the receiver's answer. */
  body: string;
  elapsedMs: number;
  /** Why there is no 2xx answer, else null. */
  error: string | null;
}

/**
 * "Send test callback": one callback to the reseller's webhook, sent exactly as real ones are
 * (`sendCallback`: same URL policy, same private-network-refusing dispatcher, same signature with
 * the reseller's key) but carrying a payload no receiver can take for an order: `test: true`, a
 * `TEST-` invoice number and status `TEST`. Nothing is queued or recorded; the answer is
 * returned to the caller.
 */
export class WebhookTest {
  constructor(private readonly d: { resellers: ResellerService; policy: CallbackUrlPolicy; dispatcher: Dispatcher; timeoutMs: number; clock: Clock }) {}

  async send(resellerId: string): Promise<WebhookTestResult> {
    const r = await this.d.resellers.get(resellerId);
    if (!r.webhookUrl) throw new OperatorError('no webhook URL is set', 'conflict');
    const at = this.d.clock();
    const payload = {
      test: true,
      invoice_number: `TEST-${at}`,
      trx_id: null,
      response_note: 'Test callback from the kios dashboard; not an order',
      category: { title: 'Test', subtitle: null, type: 'test' },
      product: { name: 'Test callback', code: 'TEST', price: 0 },
      user_input: { user_id: 'test', server_id: null, nickname: null },
      balance: r.balance,
      amount: 0,
      status: 'TEST',
      voucher: null,
      created_at: new Date(at).toISOString(),
    };
    const started = performance.now();
    const out = await sendCallback(
      this.d,
      { format: 'json', url: r.webhookUrl, resellerId, body: JSON.stringify(payload) },
      await this.d.resellers.apiKeyOf(resellerId),
      `test_${randomUUID()}`,
      at,
      TEST_BODY_LIMIT,
    );
    return { url: r.webhookUrl, status: out.responseCode, body: out.body, elapsedMs: Math.round(performance.now() - started), error: out.error };
  }
}
