import { type CohorlyExpressOptions, type CohorlyMiddleware, cohorly } from '@cohorly/express';
import { type Served, serve } from '@cohorly/test-support';
import express from 'express';

/** A running Express shop instrumented with `@cohorly/express`. */
export interface ExpressShop {
  url: string;
  analytics: CohorlyMiddleware;
  /** Stops the server, then closes the middleware's client (as on shutdown). */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * An Express app with one route, `GET /checkout`, that tracks an event and updates the
 * visitor's profile, as a shop's checkout would. `trustProxy` is Express's setting, which
 * decides what `req.ip` is behind a proxy.
 */
export async function startExpressShop(
  options: CohorlyExpressOptions,
  settings: { trustProxy?: boolean } = {},
): Promise<ExpressShop> {
  const analytics = cohorly(options);
  const app = express();
  app.set('trust proxy', settings.trustProxy === true);
  app.use(analytics);
  app.get('/checkout', (req, res) => {
    void req.cohorly.track('Checkout Completed', { items: 2 });
    void req.cohorly.peopleSet({ plan: 'pro' });
    res.json({ ok: true });
  });
  let served: Served;
  try {
    served = await serve(app);
  } catch (error) {
    await analytics.close({ timeoutMs: 0 });
    throw error;
  }
  return {
    url: served.url,
    analytics,
    close: async ({ timeoutMs = 1000 } = {}) => {
      await served.close();
      await analytics.close({ timeoutMs });
    },
  };
}
