import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach } from 'vitest';
import { killAllApps, type RunningApp, startApp } from './app-process.js';

/** The project token the app is started with; the test server accepts no other. */
export const TOKEN = 'e2e-token';

/**
 * Starts a Cohorly test server before each test of the calling file, and after each test
 * kills any app still running and stops the server. Returns the current server.
 */
export function useCohorlyServer(): () => TestServer {
  let server: TestServer | undefined;
  beforeEach(async () => {
    // Only the app's token is accepted: a wrong or missing token would show as no events.
    server = await startTestServer({ tokens: [TOKEN] });
  });
  afterEach(async () => {
    await killAllApps();
    await server?.close();
  });
  return () => server!;
}

/** Starts the built app against `server`, with `env` on top (flush mode, delays, ...). */
export function startAppFor(
  server: TestServer,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  return startApp({ COHORLY_TOKEN: TOKEN, COHORLY_API_HOST: server.url, ...env });
}
