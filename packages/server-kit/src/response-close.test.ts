import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PlainRequest, plainAccessor, plainRequest } from '../test/plain-request.js';
import { CohorlyIntegration, type FlushMode } from './integration.js';
import { flushOnResponseClose } from './response-close.js';

// A real Node server on loopback, whose handler does what a framework package does: begin the
// request's scope, track, hand the response to flushOnResponseClose, answer.
describe('flushOnResponseClose', () => {
  let cohorlyServer: TestServer;
  let app: Server | undefined;
  let integration: CohorlyIntegration<PlainRequest> | undefined;

  beforeEach(async () => {
    cohorlyServer = await startTestServer();
  });
  afterEach(async () => {
    await integration?.close({ timeoutMs: 1000 });
    integration = undefined;
    app?.closeAllConnections();
    app?.close();
    app = undefined;
    await cohorlyServer.close();
  });

  /** Serves one tracked request; resolves with the response's close listeners before and after. */
  async function serveOne(flush: FlushMode) {
    integration = new CohorlyIntegration<PlainRequest>(
      // No client timer: delivery must come from the flush policy.
      { token: 'test-token', apiHost: cohorlyServer.url, flush, batching: { flushIntervalMs: 0 } },
      plainAccessor,
      'test()',
    );
    const flushes = vi.spyOn(integration.client, 'flush');
    const listeners: number[] = [];
    const current = integration;
    app = createServer((_req, res: ServerResponse) => {
      const scope = current.begin(plainRequest({ user: 'user-1' }));
      void scope.tracker.track('Viewed', {}, { distinctId: 'user-1' });
      listeners.push(res.listenerCount('close'));
      flushOnResponseClose(current, scope, res);
      listeners.push(res.listenerCount('close'));
      res.end('ok');
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const response = await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`);
    await response.text();
    return { flushes, listeners };
  }

  it("'on-close' flushes the request's events when its response closes", async () => {
    const { flushes, listeners } = await serveOne('on-close');
    expect(listeners[1]).toBe(listeners[0]! + 1);
    const [event] = await cohorlyServer.waitForEvents({ event: 'Viewed' });
    expect(event!.distinctId).toBe('user-1');
    expect(flushes).toHaveBeenCalledTimes(1);
  });

  it("'coalesced' adds no listener to the response, and still delivers", async () => {
    const { listeners } = await serveOne('coalesced');
    expect(listeners[1]).toBe(listeners[0]);
    const [event] = await cohorlyServer.waitForEvents({ event: 'Viewed' });
    expect(event!.distinctId).toBe('user-1');
  });
});
