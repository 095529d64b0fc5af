import { expectTypeOf, it } from 'vitest';
import { createCohorlyServer } from './create-cohorly-server.js';
import { trackServer } from './default-server.js';

type ShopEvents = {
  'Order Placed': { orderId: string; total: number };
  'Cart Viewed': { items?: number };
};

it('checks event names and properties against a typed catalog', () => {
  const { trackServer: track } = createCohorlyServer<ShopEvents>({ token: 't' });
  expectTypeOf(track('Order Placed', { orderId: 'o1', total: 3 })).toEqualTypeOf<Promise<void>>();
  track('Cart Viewed');
  track('Cart Viewed', { items: 2 }, { distinctId: 'u1' });
  // @ts-expect-error: unknown event
  track('Refunded', {});
  // @ts-expect-error: properties are required for this event
  track('Order Placed');
  // @ts-expect-error: wrong property type
  track('Order Placed', { orderId: 'o1', total: '3' });
});

it('accepts any event with JSON-like properties untyped', () => {
  expectTypeOf(trackServer('Anything', { a: 1, b: [true, null] })).toEqualTypeOf<Promise<void>>();
  trackServer('Anything', undefined, { distinctId: 'u1' });
  // @ts-expect-error: distinctId must be a string
  trackServer('Anything', {}, { distinctId: 1 });
});
