import { Agent, request } from 'node:http';
import type { RequestTracker } from '@cohorly/server-kit';
import { runWithTracker } from '@cohorly/server-kit/node';
import type { ExampleAnalytics } from './example-app.js';

/** What the shop's middleware reads of a request. */
interface ShopRequest {
  user?: { id: string };
  headers: Record<string, string | string[] | undefined>;
  originalUrl: string;
}

/**
 * The floor of the shop's tracking, with no SDK: each request gets a tracker through the same
 * AsyncLocalStorage `getRequestCohorly()` reads; each event is the JSON Cohorly would send
 * (the shop's user, path, user agent and service), with a fresh insert id; every 50 are
 * POSTed at once with `node:http` on a keep-alive agent. No validation, no retry, no queue
 * cap, no single flight: the least a hand-written integration does to deliver one event per
 * request, which the bench sets beside `@cohorly/express`.
 */
export function createRawMiddleware(
  apiHost: string,
): ExampleAnalytics & ((req: ShopRequest, res: unknown, next: () => void) => void) {
  const url = new URL('/track', apiHost);
  const agent = new Agent({ keepAlive: true });
  const inFlight = new Set<Promise<void>>();
  let batch: string[] = [];
  let tracked = 0;
  let sent = 0;

  const post = (events: string[]) => {
    const body = `[${events.join(',')}]`;
    const done = new Promise<void>((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) sent += events.length;
            resolve();
          });
        },
      );
      req.on('error', () => resolve());
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  const middleware = (req: ShopRequest, _res: unknown, next: () => void) => {
    const tracker = {
      track(event: string, properties: Record<string, unknown>) {
        tracked += 1;
        const userAgent = req.headers['user-agent'];
        batch.push(
          JSON.stringify({
            event,
            properties: {
              token: 'bench-token',
              distinct_id: req.user?.id,
              time: Date.now(),
              $insert_id: crypto.randomUUID().replaceAll('-', ''),
              $lib: 'raw',
              $lib_version: '0',
              $path: req.originalUrl.split('?', 1)[0],
              ...(userAgent ? { $user_agent: userAgent } : {}),
              service: 'express-example',
              ...properties,
            },
          }),
        );
        if (batch.length === 50) {
          post(batch);
          batch = [];
        }
        return Promise.resolve();
      },
    };
    runWithTracker(tracker as unknown as RequestTracker, next);
  };

  return Object.assign(middleware, {
    async close() {
      if (batch.length > 0) post(batch);
      batch = [];
      while (inFlight.size > 0) await Promise.all(inFlight);
      agent.destroy();
      return { sent, undelivered: tracked - sent };
    },
  });
}
