import { afterEach } from 'vitest';
import { startTestServer, type TestServer, type TestServerOptions } from '../src/test-server.js';

/**
 * For this package's own tests: returns `start(options)`, which starts a test server for the
 * current test; every server started so is closed after its test, even when the test fails.
 */
export function useTestServers(): (options?: TestServerOptions) => Promise<TestServer> {
  const started: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (options) => {
    const server = await startTestServer(options);
    started.push(server);
    return server;
  };
}
