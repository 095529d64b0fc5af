import type { CaptureOptions } from '@cohorly/server-kit';
import { CohorlyService } from '@cohorly/nestjs';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExpressShop } from './support/express-shop.js';
import { startNestShop } from './support/nest-shop.js';
import {
  ANONYMOUS_ID,
  CLIENT_IP,
  leakedValues,
  QUERY,
  REQUEST_HEADERS,
  USER_AGENT,
} from './support/privacy-probe.js';

// @cohorly/express and @cohorly/nestjs (on the Express platform) send nothing from the request
// but the identity they are configured to read (the anonymous id) and the path without its
// query, until capture options say otherwise. Both run with `trust proxy` on: the client IP
// would be resolved from X-Forwarded-For if they were asked for it.

/** The options both integrations take here. */
interface ShopOptions {
  token: string;
  apiHost: string;
  onError: (error: unknown) => void;
  capture?: CaptureOptions;
}

/** A shop serving `GET /checkout`, its flush, and its shutdown. */
interface Shop {
  url: string;
  flush(): Promise<unknown>;
  close(): Promise<unknown>;
}

const shops: Array<[string, (options: ShopOptions) => Promise<Shop>]> = [
  [
    '@cohorly/express',
    async (options) => {
      const shop = await startExpressShop(options, { trustProxy: true });
      return { url: shop.url, flush: () => shop.analytics.flush(), close: () => shop.close() };
    },
  ],
  [
    '@cohorly/nestjs',
    async (options) => {
      const shop = await startNestShop(options, { trustProxy: true, logger: false });
      return {
        url: shop.url,
        flush: () => shop.app.get(CohorlyService).flush(),
        close: () => shop.close(),
      };
    },
  ],
];

describe.each(shops)('%s', (_, startShop) => {
  let server: TestServer;
  const errors: unknown[] = [];

  beforeEach(async () => {
    server = await startTestServer();
    errors.length = 0;
  });

  afterEach(async () => {
    await server.close();
  });

  /** Serves the shop, sends one checkout request with `headers`, and flushes. */
  async function checkout(capture: CaptureOptions | undefined, headers: Record<string, string>) {
    const shop = await startShop({
      token: 'privacy',
      apiHost: server.url,
      onError: (error) => errors.push(error),
      ...(capture ? { capture } : {}),
    });
    try {
      const response = await fetch(`${shop.url}/checkout${QUERY}`, { headers });
      expect(response.status).toBe(200);
      await response.json();
      await shop.flush();
    } finally {
      await shop.close();
    }
    expect(errors).toEqual([]);
  }

  it('sends no IP, User-Agent, cookie, credential, custom header or query by default', async () => {
    await checkout(undefined, REQUEST_HEADERS);
    expect(server.events()).toMatchObject([
      { event: 'Checkout Completed', distinctId: ANONYMOUS_ID, properties: { $path: '/checkout' } },
    ]);
    expect(server.profiles()).toMatchObject([{ distinctId: ANONYMOUS_ID }]);
    expect(leakedValues(server)).toEqual([]);
    const [event] = server.events();
    expect(Object.keys(event!.properties).sort()).toEqual(
      ['$insert_id', '$lib', '$lib_version', '$path', 'distinct_id', 'items', 'time'].sort(),
    );
  });

  it('reads the anonymous id from its header just as privately', async () => {
    const { cookie: _cookie, ...withoutCookie } = REQUEST_HEADERS;
    await checkout(undefined, { ...withoutCookie, 'x-cohorly-anonymous-id': 'anon-from-header' });
    expect(server.events()).toMatchObject([{ distinctId: 'anon-from-header' }]);
    expect(leakedValues(server)).toEqual([]);
  });

  it('sends the IP, the User-Agent and the query once capture asks for them, and nothing more', async () => {
    await checkout({ ip: true, userAgent: true, query: true }, REQUEST_HEADERS);
    expect(server.events()).toMatchObject([
      {
        distinctId: ANONYMOUS_ID,
        properties: { ip: CLIENT_IP, $user_agent: USER_AGENT, $path: `/checkout${QUERY}` },
      },
    ]);
    expect(leakedValues(server).sort()).toEqual(['ip', 'query', 'userAgent']);
  });
});
