import type { Order } from '../db/schema.js';

/**
 * The invoice object of the Kiosgame API (`GET /v1/status/...`, order responses), fields in the
 * documented order. Callbacks add `balance` after `user_input`.
 */
export function invoiceView(o: Order) {
  return {
    invoice_number: o.invoice_number,
    trx_id: o.trx_id,
    response_note: o.response_note,
    category: { title: o.category_title, subtitle: o.category_subtitle, type: o.category_type },
    product: { name: o.product_name, code: o.product_code, price: o.price },
    user_input: { user_id: o.user_id, server_id: o.server_id, nickname: o.nickname },
    amount: o.amount,
    status: o.status,
    voucher: o.voucher,
    created_at: new Date(o.created_at).toISOString(),
  };
}

/** The JSON callback body (RULINGS section 1, "Callbacks (JSON)"). */
export function callbackPayload(o: Order, balance: number) {
  const v = invoiceView(o);
  return {
    invoice_number: v.invoice_number,
    trx_id: v.trx_id,
    response_note: v.response_note,
    category: v.category,
    product: v.product,
    user_input: v.user_input,
    balance,
    amount: v.amount,
    status: v.status,
    voucher: v.voucher,
    created_at: v.created_at,
  };
}
