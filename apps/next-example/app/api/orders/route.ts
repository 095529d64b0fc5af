import { trackServer } from '@cohorly/next';

interface OrderBody {
  items?: Array<{ sku: string; price: number }>;
}

/** Places an order: one event for the order, one per item, all sent in one flush. */
export async function POST(request: Request) {
  const body = (await request.json().catch(() => ({}))) as OrderBody;
  const items = Array.isArray(body.items) ? body.items : [];
  const orderId = crypto.randomUUID();
  const total = items.reduce((sum, item) => sum + Number(item.price || 0), 0);
  // Resolves as soon as the event is queued: the response never waits for Cohorly.
  await trackServer('Order Placed', { orderId, items: items.length, total });
  // Not awaiting is fine too: these still go out with the request's one flush.
  for (const item of items) void trackServer('Item Purchased', { orderId, sku: item.sku });
  return Response.json({ orderId, total });
}
