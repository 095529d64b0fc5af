import type { Cohorly, CohorlyClient } from '@cohorly/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { expectTypeOf, test } from 'vitest';
import { cohorly, getRequestCohorly, type RequestTracker } from './index.js';

// Also checked against @types/express 4 by `tsc -p tsconfig.express4.json`.

test('req.cohorly is a RequestTracker in every handler and middleware', () => {
  const app = express();
  const analytics = cohorly({ token: 't', identify: (req) => req.get('x-user') });
  app.use(analytics);
  app.get('/orders/:id', (req, res) => {
    expectTypeOf(req.cohorly).toEqualTypeOf<RequestTracker>();
    expectTypeOf(req.cohorly.track('Order Viewed', { id: req.params.id })).toEqualTypeOf<
      Promise<void>
    >();
    res.send('ok');
  });
  const middleware = (req: Request, _res: Response, next: NextFunction) => {
    void req.cohorly.peopleIncrement({ visits: 1 });
    next();
  };
  app.use(middleware);
  expectTypeOf(analytics.client).toEqualTypeOf<CohorlyClient>();
  expectTypeOf<Cohorly>().toExtend<CohorlyClient>();
});

test('options are typed with the Express request', () => {
  cohorly({
    token: 't',
    identify: (req) => {
      expectTypeOf(req).toEqualTypeOf<Request>();
      return req.header('x-user');
    },
    ignore: (req) => req.path === '/healthz',
    superProperties: (req) => ({ host: req.hostname }),
    capture: { ip: true, userAgent: true, query: false, path: true },
    anonymousId: { header: 'x-visitor', cookie: 'vid' },
    flush: 'on-close',
  });
  // @ts-expect-error: not a flush mode
  cohorly({ token: 't', flush: 'later' });
});

test('getRequestCohorly() may be undefined, and takes an event catalog', () => {
  expectTypeOf(getRequestCohorly()).toEqualTypeOf<RequestTracker | undefined>();
  type Events = { 'Order Placed': { total: number } };
  const tracker = getRequestCohorly<Events>();
  void tracker?.track('Order Placed', { total: 1 });
  // @ts-expect-error: the catalog requires its properties
  void tracker?.track('Order Placed');
  // @ts-expect-error: not in the catalog
  void tracker?.track('Unknown Event');
});
