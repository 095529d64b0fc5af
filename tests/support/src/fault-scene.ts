import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, expect, vi } from 'vitest';

/** How {@link useFaultScene} sets up each test. */
export interface FaultSceneOptions {
  /**
   * Fake timers for each test (`vi.useFakeTimers` options), installed once the server is up
   * and removed before anything is closed. @default real timers
   */
  fakeTimers?: Parameters<typeof vi.useFakeTimers>[0];
}

/** What each test of a file with {@link useFaultScene} works with. */
export interface FaultScene {
  /** The current test's Cohorly test server. */
  readonly server: TestServer;
  /** Starts a Cohorly test server on `port` (back after an outage); closed after the test. */
  restart(port: number): Promise<TestServer>;
  /** Runs `close` after the test, before the servers stop; what was deferred last runs first. */
  defer(close: () => unknown): void;
}

/**
 * Gives each test of the calling file (or describe block) a fresh Cohorly test server, and
 * fails it if a promise rejection went unhandled meanwhile, since an integration must never
 * leave one behind, whatever the server answers. After the test, runs what was deferred, then
 * stops the servers.
 */
export function useFaultScene(options: FaultSceneOptions = {}): FaultScene {
  let current: TestServer | undefined;
  const servers: TestServer[] = [];
  const closes: (() => unknown)[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    current = await startTestServer();
    servers.push(current);
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    if (options.fakeTimers) vi.useFakeTimers(options.fakeTimers);
  });
  afterEach(async () => {
    if (options.fakeTimers) vi.useRealTimers();
    for (const close of closes.splice(0).reverse()) await close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    // Let a stray rejection of the last turn surface before the listener goes.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  return {
    get server() {
      if (!current) throw new Error('useFaultScene(): the server starts before each test');
      return current;
    },
    async restart(port) {
      const restarted = await startTestServer({ port });
      servers.push(restarted);
      return restarted;
    },
    defer(close) {
      closes.push(close);
    },
  };
}
