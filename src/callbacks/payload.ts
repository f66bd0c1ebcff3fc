import { z } from 'zod';
import type { Order } from '../db/schema.js';
import { callbackPayload } from '../orders/views.js';
import { callbackParams } from '../otomax/lines.js';

/**
 * What a callback job carries, frozen when the event happened (the balance in it is the balance
 * right after the event). The signature is computed at each attempt, with the key current then.
 */
export const callbackJobSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('json'), url: z.string(), resellerId: z.string(), body: z.string() }),
  z.object({ format: z.literal('otomax'), url: z.string(), resellerId: z.string(), query: z.string() }),
]);
export type CallbackJob = z.infer<typeof callbackJobSchema>;

/** JSON channel: POST of `JSON.stringify(payload)`. Otomax channel: GET with the report parameters. */
export function buildCallbackJob(order: Order, balance: number, url: string): CallbackJob {
  if (order.channel === 'otomax') {
    return { format: 'otomax', url, resellerId: order.reseller_id, query: encodeQuery(callbackParams(order, balance)) };
  }
  return { format: 'json', url, resellerId: order.reseller_id, body: JSON.stringify(callbackPayload(order, balance)) };
}

/**
 * `encodeURIComponent` for every value: spaces become %20 (never `+`, which not every receiver
 * decodes), `#` becomes %23 (else the rest of the URL would be a fragment the receiver never sees).
 */
export function encodeQuery(params: [string, string][]): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export function withQuery(url: string, query: string): string {
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${query}`;
}
