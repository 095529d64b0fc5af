// Libraries that explore providers for message handlers (Discord, NATS, Telegram bots) call
// them through Nest's ExternalContextCreator, whose default context type is 'http' though no
// HTTP request is behind them; the module's global guard and interceptor apply to them too,
// in a web app and in a standalone application context alike.
import { startTestServer, type TestServer } from '@cohorly/testing';
import { Injectable, Module, type Type } from '@nestjs/common';
import { ExternalContextCreator, NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp } from '../test/nest-harness.js';
import { CohorlyModule, CohorlyService, Track } from './index.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** What ExternalContextCreator.create() takes. */
type Handler = (...args: unknown[]) => unknown;

interface OrderMessage {
  orderId: string;
  userId: string;
}

@Injectable()
class OrderListener {
  readonly handled: string[] = [];
  constructor(private readonly cohorly: CohorlyService) {}

  onOrder(message: OrderMessage): string {
    this.handled.push(message.orderId);
    void this.cohorly.track(
      'Order Received',
      { orderId: message.orderId },
      { distinctId: message.userId },
    );
    return 'ack';
  }

  // HTTP routes only: on a message handler it tracks nothing, and says nothing.
  @Track('Ping Tracked')
  onPing(): string {
    this.handled.push('ping');
    return 'pong';
  }
}

function listenerModule(errors: unknown[]): Type<unknown> {
  @Module({
    imports: [
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        onError: (error) => errors.push(error),
      }),
    ],
    providers: [OrderListener],
  })
  class ListenerModule {}
  return ListenerModule;
}

/** The app of `where`, as a library's handler explorer sees it: its container, and a close. */
async function startListener(
  where: string,
  errors: unknown[],
): Promise<{ get<T>(type: Type<T>): T; close(): Promise<void> }> {
  const module = listenerModule(errors);
  if (where === 'an application context') {
    return NestFactory.createApplicationContext(module, { logger: false });
  }
  const running = await startApp(module, where as (typeof PLATFORMS)[number]);
  return { get: (type) => running.app.get(type), close: running.close };
}

/**
 * `listener[method]` as a library's handler explorer calls it: through `ExternalContextCreator`,
 * with the default context type ('http') and the message as its argument.
 */
function explorerHandler(
  app: { get<T>(type: Type<T>): T },
  listener: OrderListener,
  method: 'onOrder' | 'onPing',
): (message?: OrderMessage) => Promise<unknown> {
  return app.get(ExternalContextCreator).create(listener, listener[method] as Handler, method) as (
    message?: OrderMessage,
  ) => Promise<unknown>;
}

describe.each(['an application context', ...PLATFORMS])(
  'handlers called through ExternalContextCreator in %s',
  (where) => {
    it('run, return their result, and track with an explicit distinct id', async () => {
      const errors: unknown[] = [];
      const app = await startListener(where, errors);
      try {
        const listener = app.get(OrderListener);
        const onOrder = explorerHandler(app, listener, 'onOrder');
        expect(await onOrder({ orderId: 'o-1', userId: 'u-1' })).toBe('ack');
        // Without any argument, the "request" is undefined.
        const onPing = explorerHandler(app, listener, 'onPing');
        expect(await onPing()).toBe('pong');
        expect(listener.handled).toEqual(['o-1', 'ping']);
        await app.get(CohorlyService).flush();
      } finally {
        await app.close();
      }
      expect(server.events()).toMatchObject([
        { event: 'Order Received', distinctId: 'u-1', properties: { orderId: 'o-1' } },
      ]);
      expect(errors).toEqual([]);
    });

    it('run even when reading their arguments fails, and the failure goes to onError', async () => {
      const errors: unknown[] = [];
      const app = await startListener(where, errors);
      try {
        const listener = app.get(OrderListener);
        const onOrder = explorerHandler(app, listener, 'onOrder');
        // A message whose accessors throw once it has been acknowledged, say.
        const message = {
          orderId: 'o-2',
          userId: 'u-2',
          get raw(): never {
            throw new Error('message already acknowledged');
          },
        };
        expect(await onOrder(message)).toBe('ack');
        expect(listener.handled).toEqual(['o-2']);
      } finally {
        await app.close();
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.map(String)).toEqual(errors.map(() => 'Error: message already acknowledged'));
    });
  },
);
