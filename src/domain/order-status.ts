/**
 * Order statuses and the transitions between them (RULINGS section 1, "Statuses").
 * SUCCESS, PARTIAL_SUCCESS, FAILED and REFUNDED are final, except SUCCESS -> REFUNDED
 * (an operator or supplier reversal). Nothing ever goes back to PENDING.
 */
export const ORDER_STATUSES = ['PENDING', 'PAID', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED']);

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'],
  PAID: ['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'REFUNDED'],
  SUCCESS: ['REFUNDED'],
  PARTIAL_SUCCESS: [],
  FAILED: [],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: OrderStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export function isOrderStatus(s: string): s is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(s);
}
