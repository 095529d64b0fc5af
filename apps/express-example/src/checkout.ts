import { randomUUID } from 'node:crypto';
import { getRequestCohorly } from '@cohorly/express';

/** One line of a cart. */
export interface CartItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/** A placed order. */
export interface Order {
  orderId: string;
  total: number;
  items: number;
}

/** Checks a cart from a request body; returns the problem, or `undefined` when it is fine. */
export function cartProblem(items: unknown): string | undefined {
  if (!Array.isArray(items) || items.length === 0) return 'items must be a non-empty array';
  for (const item of items as Partial<CartItem>[]) {
    if (typeof item?.sku !== 'string' || item.sku === '') return 'each item needs a sku';
    if (!Number.isInteger(item.quantity) || (item.quantity ?? 0) < 1) {
      return 'each item needs a quantity of at least 1';
    }
    if (typeof item.unitPrice !== 'number' || !(item.unitPrice >= 0)) {
      return 'each item needs a unitPrice >= 0';
    }
  }
  return undefined;
}

/**
 * Places an order. A service with no `req` in sight: it finds the request's tracker through
 * `getRequestCohorly()`, so the event still goes to the signed-in user.
 */
export async function placeOrder(items: CartItem[]): Promise<Order> {
  // Stands in for the payment provider and the database: real awaits, real async hops.
  await new Promise((resolve) => setImmediate(resolve));
  const total = Math.round(items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0) * 100) / 100;
  const order: Order = { orderId: `o_${randomUUID().slice(0, 8)}`, total, items: items.length };
  const cohorly = getRequestCohorly();
  // Not awaited: the customer does not wait for analytics.
  void cohorly?.track('Checkout Completed', { ...order, currency: 'EUR' });
  void cohorly?.peopleIncrement({ orders: 1, revenue: total });
  return order;
}
