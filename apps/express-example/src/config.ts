import type { FlushMode } from '@cohorly/express';

/** What the app reads from its environment. */
export interface AppConfig {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** When request events are flushed (`COHORLY_FLUSH`); `undefined` keeps the default. */
  flush: FlushMode | undefined;
  /** Delay between two rows of the order export, standing in for a slow database cursor. */
  exportRowDelayMs: number;
  /** How long shutdown waits for requests in progress before cutting them off. */
  shutdownGraceMs: number;
  /** How long shutdown keeps trying to deliver analytics before exiting anyway. */
  analyticsCloseTimeoutMs: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number >= 0, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads `PORT`, `HOST`, `COHORLY_FLUSH`, `EXPORT_ROW_DELAY_MS`, `SHUTDOWN_GRACE_MS` and
 * `ANALYTICS_CLOSE_TIMEOUT_MS`.
 * `COHORLY_TOKEN` and `COHORLY_API_HOST` are read by `cohorly()` itself.
 */
export function readConfig(env: NodeJS.ProcessEnv): AppConfig {
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    // cohorly() rejects an unknown mode at startup, with the list of valid ones.
    flush: (env.COHORLY_FLUSH || undefined) as FlushMode | undefined,
    exportRowDelayMs: integer(env, 'EXPORT_ROW_DELAY_MS', 20),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 5000),
    analyticsCloseTimeoutMs: integer(env, 'ANALYTICS_CLOSE_TIMEOUT_MS', 5000),
  };
}
