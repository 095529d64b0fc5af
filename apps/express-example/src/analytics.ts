import { type CohorlyExpressOptions, type CohorlyMiddleware, cohorly } from '@cohorly/express';

/** Uptime monitors load real pages; their visits are not the shop's customers'. */
const UPTIME_MONITOR = /\b(?:UptimeRobot|Pingdom)\//;

/**
 * The shop's Cohorly middleware: events belong to the signed-in user (`req.user`, set by the
 * auth middleware that runs after this one), carry the service name and the user agent, and
 * neither health checks nor uptime monitors' requests are tracked. `COHORLY_TOKEN` and `COHORLY_API_HOST` come from the
 * environment unless `overrides` sets them; without a token this throws at startup, saying
 * how to set one. Shared by `server.ts` and `bench/`, which measures this very setup.
 */
export function createAnalytics(
  overrides: Pick<CohorlyExpressOptions, 'token' | 'apiHost' | 'flush'> = {},
): CohorlyMiddleware {
  return cohorly({
    identify: (req) => req.user?.id,
    superProperties: () => ({ service: 'express-example' }),
    capture: { userAgent: true },
    ignore: (req) => req.path === '/healthz' || UPTIME_MONITOR.test(req.get('user-agent') ?? ''),
    ...overrides,
  });
}
