import type { CohorlyModuleOptions, FlushMode } from '@cohorly/nestjs';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';

const logger = new Logger('Cohorly');

/** Uptime monitors load real pages; their visits are not the product's users'. */
const UPTIME_MONITOR = /\b(?:UptimeRobot|Pingdom)\//;

/**
 * Cohorly's options from the app's configuration: the token and host (COHORLY_TOKEN and
 * COHORLY_API_HOST; startup fails with a clear message without a token), the flush policy,
 * and how a request's user is found.
 */
export function cohorlyOptions(config: ConfigService): CohorlyModuleOptions {
  return {
    token: config.get<string>('COHORLY_TOKEN'),
    apiHost: config.get<string>('COHORLY_API_HOST'),
    flush: config.get<FlushMode>('COHORLY_FLUSH', 'coalesced'),
    // Called when an event is tracked, after BearerAuthGuard has set req.user.
    identify: (req) => req.user?.id,
    // Runs before guards, on the platform's Node request (Express's req, or Fastify's raw one).
    ignore: (req) =>
      req.url === '/health' || UPTIME_MONITOR.test(String(req.headers['user-agent'] ?? '')),
    // Analytics trouble is logged, never turned into an error response.
    onError: (error) => logger.warn(error instanceof Error ? error.message : String(error)),
  };
}
