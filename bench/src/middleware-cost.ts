import { EventEmitter } from 'node:events';
import { cohorly, getRequestCohorly } from '@cohorly/express';
import type { Request, Response } from 'express';

/**
 * The CPU `@cohorly/express` itself spends per request, with no HTTP server, no load
 * generator and no network: `node dist/middleware-cost.js`. Each request runs the middleware
 * as `apps/express-example` configures it, tracks one event through `getRequestCohorly()`,
 * and closes its response; deliveries go to a `fetch` that answers at once. Three variants:
 * `no track` (the middleware only), `track` (flush `'none'`: batches of 50) and `track +
 * coalesced flush` (the default). It is the floor under the `express-app` scenario's cost.
 */
const REQUESTS = 50_000;
const WARM_UP = 5_000;

type Variant = 'no track' | 'track' | 'track + coalesced flush';

async function measure(variant: Variant): Promise<number> {
  const middleware = cohorly({
    token: 'bench-token',
    fetch: async () => new Response('1'),
    identify: (req) => (req as Request & { user?: { id: string } }).user?.id,
    superProperties: () => ({ service: 'express-example' }),
    capture: { userAgent: true },
    flush: variant === 'track + coalesced flush' ? 'coalesced' : 'none',
    onError: (error) => {
      throw error;
    },
  });
  const one = async (i: number) => {
    const req = {
      method: 'GET',
      url: '/products',
      originalUrl: '/products',
      path: '/products',
      headers: { 'user-agent': 'autocannon', authorization: 'Bearer u_bench' },
      user: { id: `u_${i % 1000}` },
      socket: {},
    } as unknown as Request;
    const res = Object.assign(new EventEmitter(), { closed: false }) as unknown as Response;
    await new Promise<void>((resolve) =>
      middleware(req, res, () => {
        if (variant !== 'no track')
          void getRequestCohorly()?.track('Products Viewed', { count: 3 });
        resolve();
      }),
    );
    Object.assign(res, { closed: true });
    res.emit('close');
  };
  for (let i = 0; i < WARM_UP; i++) await one(i);
  await middleware.flush();
  const cpu = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    await one(i);
    // Let timers and deliveries run, as a server's event loop would between requests.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await middleware.flush();
  const used = process.cpuUsage(cpu);
  await middleware.close({ timeoutMs: 5_000 });
  return (used.user + used.system) / REQUESTS;
}

for (const variant of ['no track', 'track', 'track + coalesced flush'] as const) {
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) runs.push(await measure(variant));
  runs.sort((a, b) => a - b);
  process.stdout.write(
    `${variant.padEnd(24)} ${runs[1]!.toFixed(2)} us CPU per request (median of 3; ${runs.map((r) => r.toFixed(2)).join(', ')})\n`,
  );
}
