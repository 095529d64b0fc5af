import { BufferedConsumer, Cohorly, type FetchLike } from '@cohorly/core';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CohorlyServer } from './cohorly-server.js';
import type { CohorlyServerOptions } from './cohorly-server-options.js';
import { createCohorlyServer } from './create-cohorly-server.js';
import { lazyFetch } from './default-fetch.js';

// Which transport delivered is told by the requests the real server received: Node's global
// fetch (undici) sends `user-agent: node` and `sec-fetch-mode: cors`, `node:http` neither.

let server: TestServer;
const created: CohorlyServer[] = [];
const clients: Cohorly[] = [];
let tokens = 0;

function make(options: CohorlyServerOptions = {}): CohorlyServer & { errors: unknown[] } {
  const errors: unknown[] = [];
  const cohorly = createCohorlyServer({
    // A token per test: each test gets its own process-wide client.
    token: `fetch-token-${++tokens}`,
    apiHost: server.url,
    onError: (error) => errors.push(error),
    ...options,
  });
  created.push(cohorly);
  return Object.assign(cohorly, { errors });
}

const sentBy = (server: TestServer) =>
  server.requests().map(({ headers }) => ({
    userAgent: headers['user-agent'],
    fetchMode: headers['sec-fetch-mode'],
  }));
const NODE_HTTP = { userAgent: undefined, fetchMode: undefined };
const UNDICI = { userAgent: 'node', fetchMode: 'cors' };

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  await Promise.all([
    ...created.splice(0).map((cohorly) => cohorly.close({ timeoutMs: 0 })),
    ...clients.splice(0).map((client) => client.close({ timeoutMs: 0 })),
  ]);
  await server.close();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
});

describe('the client @cohorly/next creates', () => {
  it('sends with node:http on the Node.js runtime (NEXT_RUNTIME=nodejs), never the global fetch', async () => {
    vi.stubEnv('NEXT_RUNTIME', 'nodejs');
    const globalFetch = vi.spyOn(globalThis, 'fetch');
    const cohorly = make();
    await cohorly.trackServer('Node Runtime', { n: 1 }, { distinctId: 'user-1' });
    await cohorly.trackServer('Node Runtime', { n: 2 }, { distinctId: 'user-1' });
    expect(server.events()).toMatchObject([
      { event: 'Node Runtime', distinctId: 'user-1', properties: { n: 1 } },
      { event: 'Node Runtime', distinctId: 'user-1', properties: { n: 2 } },
    ]);
    expect(sentBy(server)).toEqual([NODE_HTTP, NODE_HTTP]);
    expect(globalFetch).not.toHaveBeenCalled();
    expect(cohorly.errors).toEqual([]);
  });

  it.each([
    ['the edge runtime (NEXT_RUNTIME=edge)', 'edge'],
    ['no Next.js runtime (NEXT_RUNTIME unset)', undefined],
  ])('sends with globalThis.fetch on %s', async (_, runtime) => {
    vi.stubEnv('NEXT_RUNTIME', runtime);
    const globalFetch = vi.spyOn(globalThis, 'fetch');
    const cohorly = make();
    await cohorly.trackServer('Edge Runtime', {}, { distinctId: 'user-2' });
    expect(server.events()).toMatchObject([{ event: 'Edge Runtime', distinctId: 'user-2' }]);
    expect(sentBy(server)).toEqual([UNDICI]);
    expect(globalFetch).toHaveBeenCalledTimes(1);
    expect(cohorly.errors).toEqual([]);
  });

  it.each([
    ['Bun', 'Bun'],
    ['Deno', 'Deno'],
  ])(
    'sends with globalThis.fetch on the Node.js runtime under %s, whose fetch honours HTTP_PROXY',
    async (_, global) => {
      vi.stubEnv('NEXT_RUNTIME', 'nodejs');
      vi.stubGlobal(global, {});
      const globalFetch = vi.spyOn(globalThis, 'fetch');
      const cohorly = make();
      await cohorly.trackServer('Bun Or Deno', {}, { distinctId: 'user-4' });
      expect(server.events()).toMatchObject([{ event: 'Bun Or Deno', distinctId: 'user-4' }]);
      expect(sentBy(server)).toEqual([UNDICI]);
      expect(globalFetch).toHaveBeenCalledTimes(1);
      expect(cohorly.errors).toEqual([]);
    },
  );

  it('sends with your fetch option on the Node.js runtime too', async () => {
    vi.stubEnv('NEXT_RUNTIME', 'nodejs');
    const yours = vi.fn<FetchLike>((input, init) => globalThis.fetch(input, init));
    const cohorly = make({ fetch: yours });
    await cohorly.trackServer('Own Fetch', {}, { distinctId: 'user-3' });
    expect(server.events()).toMatchObject([{ event: 'Own Fetch', distinctId: 'user-3' }]);
    expect(yours).toHaveBeenCalledTimes(1);
    expect(yours.mock.calls[0]?.[0]).toBe(`${server.url}/track`);
    expect(sentBy(server)).toEqual([UNDICI]);
    expect(cohorly.errors).toEqual([]);
  });
});

describe('lazyFetch', () => {
  function clientWith(fetch: FetchLike): Cohorly {
    const consumer = new BufferedConsumer({ apiHost: server.url, fetch });
    const client = new Cohorly('lazy-token', { consumer });
    clients.push(client);
    return client;
  }

  it('loads the transport once, on the first request, and sends every request with it', async () => {
    const load = vi.fn(async (): Promise<FetchLike> => {
      const { createNodeFetch } = await import('@cohorly/server-kit/node');
      return createNodeFetch();
    });
    const fetch = lazyFetch(load);
    expect(load).not.toHaveBeenCalled();
    const client = clientWith(fetch);
    await client.track('user-4', 'First', {});
    await client.flush();
    await client.track('user-4', 'Second', {});
    await client.flush();
    expect(server.events().map((event) => event.event)).toEqual(['First', 'Second']);
    expect(sentBy(server)).toEqual([NODE_HTTP, NODE_HTTP]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('falls back to globalThis.fetch when the transport cannot load, losing no event', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const load = vi.fn(() => Promise.reject(new Error('Cannot find module')));
      const client = clientWith(lazyFetch(load));
      await client.track('user-5', 'Still Sent', {});
      await client.flush();
      await client.track('user-5', 'Also Sent', {});
      await client.flush();
      expect(server.events().map((event) => event.event)).toEqual(['Still Sent', 'Also Sent']);
      expect(sentBy(server)).toEqual([UNDICI, UNDICI]);
      expect(load).toHaveBeenCalledTimes(1);
      // An unhandled rejection would be reported within a turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
