import { randomUUID } from 'node:crypto';
import { BufferedConsumer, Cohorly, Consumer } from '@cohorly/core';
import { cohorly } from '@cohorly/express';
import { CohorlyService } from '@cohorly/nestjs';
import { createCohorlyServer } from '@cohorly/next';
import { CohorlyIntegration, type ErrorHandler, type RequestAccessor } from '@cohorly/server-kit';
import { startTestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureOutput, fullText } from './support/captured-output.js';
import { ECHO_STYLES, type EchoStyle, startEchoingGateway } from './support/echoing-gateway.js';
import { startExpressShop } from './support/express-shop.js';
import { startNestShop } from './support/nest-shop.js';
import { refusingUrl } from './support/refusing-url.js';

// The project token must never appear in full in what the SDK prints or reports: not in the
// console (the default onError), not in an error handed to onError or thrown/rejected to the
// caller, however completely that error is logged (util.inspect: stack, cause, properties).
// Every failure a delivery can meet is tried through every public package.

const TOKEN = `cohorly_secret_${randomUUID().replaceAll('-', '')}`;
const VISITOR = { 'x-cohorly-anonymous-id': 'visitor-1' };

/** One delivery attempt: where to, who handles errors, whether the request has an identity. */
interface Attempt {
  apiHost: string;
  onError?: ErrorHandler;
  identified: boolean;
}

/** Tracks one event through a package and flushes; returns what was thrown at the caller. */
type Deliver = (attempt: Attempt) => Promise<unknown[]>;

interface PlainRequest {
  headers: Record<string, string>;
}
const plainAccessor: RequestAccessor<PlainRequest> = {
  header: (req, name) => req.headers[name.toLowerCase()],
  url: () => '/checkout',
  ip: () => undefined,
};

/** Resolves immediately: retries and backoff happen at once instead of after seconds. */
const noWait = () => Promise.resolve();

const SURFACES: Record<string, { deliver: Deliver; integration: boolean }> = {
  '@cohorly/core Consumer': {
    integration: false,
    deliver: async ({ apiHost }) => {
      const client = new Cohorly(TOKEN, { consumer: new Consumer({ apiHost, sleep: noWait }) });
      const thrown: unknown[] = [];
      await client.track('user-1', 'Checkout Completed', { items: 2 }).catch((error: unknown) => {
        thrown.push(error);
      });
      return thrown;
    },
  },
  '@cohorly/core BufferedConsumer': {
    integration: false,
    deliver: async ({ apiHost, onError }) => {
      const consumer = new BufferedConsumer({
        apiHost,
        onError,
        flushIntervalMs: 0,
        sleep: noWait,
      });
      const client = new Cohorly(TOKEN, { consumer });
      const thrown: unknown[] = [];
      await client.track('user-1', 'Checkout Completed', { items: 2 });
      await client.flush().catch((error: unknown) => thrown.push(error));
      await client.close({ timeoutMs: 0 });
      return thrown;
    },
  },
  '@cohorly/server-kit': {
    integration: true,
    deliver: async ({ apiHost, onError, identified }) => {
      const integration = new CohorlyIntegration<PlainRequest>(
        { token: TOKEN, apiHost, onError, flush: 'none' },
        plainAccessor,
        'cohorly()',
      );
      const scope = integration.begin({ headers: identified ? VISITOR : {} });
      await scope.tracker.track('Checkout Completed', { items: 2 });
      scope.closed();
      await integration.flush();
      await integration.close({ timeoutMs: 0 });
      return [];
    },
  },
  '@cohorly/express': {
    integration: true,
    deliver: async ({ apiHost, onError, identified }) => {
      const shop = await startExpressShop({ token: TOKEN, apiHost, onError, flush: 'none' });
      try {
        const response = await fetch(`${shop.url}/checkout`, {
          headers: identified ? VISITOR : {},
        });
        expect(response.status).toBe(200);
        await response.json();
        await shop.analytics.flush();
      } finally {
        await shop.close({ timeoutMs: 0 });
      }
      return [];
    },
  },
  '@cohorly/nestjs': {
    integration: true,
    deliver: async ({ apiHost, onError, identified }) => {
      const shop = await startNestShop(
        { token: TOKEN, apiHost, onError, flush: 'none', shutdownTimeoutMs: 0 },
        { logger: false },
      );
      try {
        const response = await fetch(`${shop.url}/checkout`, {
          headers: identified ? VISITOR : {},
        });
        expect(response.status).toBe(200);
        await response.json();
        await shop.app.get(CohorlyService).flush();
      } finally {
        await shop.close();
      }
      return [];
    },
  },
  '@cohorly/next': {
    integration: true,
    deliver: async ({ apiHost, onError, identified }) => {
      // Outside a request scope, with no time to deliver: trackServer queues the event and
      // reports that it is kept. Then one flush of the client @cohorly/next built (its
      // transport, its onError) meets the failure, with no backoff window waited out.
      const server = createCohorlyServer({ token: TOKEN, apiHost, onError, flushTimeoutMs: 0 });
      const thrown: unknown[] = [];
      try {
        await server.trackServer(
          'Checkout Completed',
          { items: 2 },
          identified ? { distinctId: 'user-1' } : undefined,
        );
        await server.client.flush().catch((error: unknown) => thrown.push(error));
      } finally {
        await server.close({ timeoutMs: 0 });
      }
      return thrown;
    },
  },
};

/**
 * Delivers through `deliver` twice: with the default onError (capturing the console), then
 * with an onError of the app's. Returns everything a log could hold, and how many reports.
 */
async function observe(deliver: Deliver, apiHost: string, identified = true) {
  const output = captureOutput();
  let thrownByDefault: unknown[];
  try {
    thrownByDefault = await deliver({ apiHost, identified });
  } finally {
    output.restore();
  }
  const reported: unknown[] = [];
  const thrown = await deliver({ apiHost, identified, onError: (error) => reported.push(error) });
  const errors = [...thrownByDefault, ...thrown, ...reported];
  return {
    text: [output.text(), ...errors.map(fullText)].join('\n'),
    console: output.text(),
    errors,
  };
}

/** What a failing server is, for one scenario. */
interface FailingServer {
  url: string;
  close(): Promise<void>;
}

interface Scenario {
  start(): Promise<FailingServer>;
  /** What the report says, to be sure the failure was reported at all. */
  reported: RegExp;
}

const echo =
  (style: EchoStyle): Scenario['start'] =>
  () =>
    startEchoingGateway(ECHO_STYLES[style]);

const SCENARIOS: Record<string, Scenario> = {
  'a 400 whose JSON body quotes the payload': {
    start: echo('a JSON error quoting the payload as JSON'),
    reported: /status 400/,
  },
  'a 401 (a @cohorly/testing server with an allow-list of other tokens)': {
    start: () => startTestServer({ tokens: ['another-project-token'] }),
    reported: /status 401/,
    // Its answer is `{"error":"unknown project token \"<token>\"","index":0}`.
  },
  'a 503 from @cohorly/testing': {
    start: async () => {
      const server = await startTestServer();
      server.faults.failFor('*', 3_600_000, { status: 503 });
      return server;
    },
    reported: /status 503/,
  },
  'a network error (connection refused)': {
    start: async () => ({ url: await refusingUrl(), close: async () => undefined }),
    reported: /no answer|ECONNREFUSED|fetch failed/,
  },
  'a 400 whose JSON body quotes the raw payload as a string': {
    start: echo('a JSON error quoting the raw payload as a string'),
    reported: /status 400/,
  },
  'a plain-text 401 that names the token': {
    start: echo('a plain-text 401 naming the token'),
    reported: /status 401/,
  },
  'a 400 whose long body is cut right after the token': {
    start: echo('a long JSON error cut right after the token'),
    reported: /status 400/,
  },
};

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
  // Only the token passed in the options: none from the environment.
  vi.stubEnv('COHORLY_TOKEN', undefined);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.unstubAllEnvs();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
  // Failed deliveries never become unhandled rejections.
  expect(unhandled).toEqual([]);
});

describe.each(Object.entries(SCENARIOS))('on %s', (_, scenario) => {
  for (const [surface, { deliver }] of Object.entries(SURFACES)) {
    it(`${surface} never logs or reports the token`, async () => {
      const server = await scenario.start();
      try {
        const { text, errors } = await observe(deliver, server.url);
        expect(errors.length).toBeGreaterThan(0);
        expect(text).toMatch(scenario.reported);
        expect(text).not.toContain(TOKEN);
      } finally {
        await server.close();
      }
    });
  }
});

describe('a request with no distinct id', () => {
  const integrations = Object.entries(SURFACES).filter(([, surface]) => surface.integration);
  it.each(integrations)('%s reports it without the token', async (_, { deliver }) => {
    const server = await startTestServer();
    try {
      const { text, errors, console } = await observe(deliver, server.url, false);
      expect(errors.length).toBeGreaterThan(0);
      expect(console).toMatch(/no distinct id/);
      expect(text).not.toContain(TOKEN);
      expect(server.requests().filter((request) => request.path === '/track')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('the startup error when no token is configured', () => {
  // A token passed under a wrong option name: the error must say what is missing without
  // echoing the options it was given.
  const misconfigured = { apiKey: TOKEN, apiHost: 'http://127.0.0.1:9' } as never;

  it('@cohorly/server-kit and @cohorly/express throw a message without the token', () => {
    for (const start of [
      () => new CohorlyIntegration(misconfigured, plainAccessor, 'cohorly()'),
      () => cohorly(misconfigured),
    ]) {
      let thrown: unknown;
      try {
        start();
      } catch (error) {
        thrown = error;
      }
      expect(String(thrown)).toMatch(/no Cohorly project token/);
      expect(fullText(thrown)).not.toContain(TOKEN);
    }
  });

  it('@cohorly/nestjs fails to start, and neither its error nor Nest’s log holds the token', async () => {
    const output = captureOutput();
    let thrown: unknown;
    try {
      // Nest's own logger on: it logs the failed bootstrap.
      await startNestShop(misconfigured).then(
        (shop) => shop.close(),
        (error: unknown) => {
          thrown = error;
        },
      );
    } finally {
      output.restore();
    }
    expect(String(thrown)).toMatch(/no Cohorly project token/);
    // Nest logged the failure itself, and the capture saw it.
    expect(output.text()).toMatch(/ExceptionHandler|no Cohorly project token/);
    expect(`${output.text()}\n${fullText(thrown)}`).not.toContain(TOKEN);
  });

  it('@cohorly/next reports it to onError (and the console) without the token', async () => {
    const output = captureOutput();
    try {
      await createCohorlyServer(misconfigured).trackServer(
        'Checkout Completed',
        {},
        {
          distinctId: 'user-1',
        },
      );
    } finally {
      output.restore();
    }
    expect(output.text()).toMatch(/no Cohorly project token/);
    expect(output.text()).not.toContain(TOKEN);
  });
});
