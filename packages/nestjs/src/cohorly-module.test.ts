import { BufferedConsumer, Cohorly, type CohorlyError } from '@cohorly/core';
import { createNodeFetch } from '@cohorly/server-kit/node';
import { startTestServer, type TestServer } from '@cohorly/testing';
import {
  type CanActivate,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Module,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PLATFORMS, type RunningApp, request, startApp } from '../test/nest-harness.js';
import { identifyShopUser, type ShopUser, shopModule } from '../test/shop-fixture.js';
import { CohorlyModule, type CohorlyModuleOptions, CohorlyService, Track } from './index.js';

let server: TestServer;
const apps: RunningApp[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(apps.splice(0).map((running) => running.close()));
});

async function startShop(
  cohorly: Parameters<typeof shopModule>[0],
  platform: 'express' | 'fastify' = 'express',
  extra: Type<unknown>[] = [],
): Promise<RunningApp> {
  const running = await startApp(shopModule(cohorly, extra), platform);
  apps.push(running);
  return running;
}

/** A service in a feature module that does not import CohorlyModule. */
@Injectable()
class FeatureService {
  constructor(readonly cohorly: CohorlyService) {}
}
@Module({ providers: [FeatureService] })
class FeatureModule {}

/**
 * A route-level guard that signs the member in from `x-member` and tracks the access itself,
 * as audit guards do: the event is tracked before any interceptor has run.
 */
@Injectable()
class MemberGuard implements CanActivate {
  constructor(private readonly cohorly: CohorlyService) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: ShopUser }>();
    req.user = { id: String(req.headers['x-member']) };
    void this.cohorly.track('Member Area Entered', { via: 'guard' });
    return true;
  }
}
@Controller('members')
class MembersController {
  @Get()
  @UseGuards(MemberGuard)
  enter(): { ok: true } {
    return { ok: true };
  }
}
@Module({ controllers: [MembersController] })
class MembersModule {}

/** Configuration the way apps keep it: a provider in its own module. */
@Injectable()
class AppConfig {
  readonly cohorlyToken = 'ASYNC-T';
  apiHost = '';
}
@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

describe('CohorlyModule configuration', () => {
  it('forRootAsync takes imports, inject and useFactory', async () => {
    const shop = await startShop(
      CohorlyModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig): CohorlyModuleOptions => ({
          token: config.cohorlyToken,
          apiHost: server.url,
          identify: identifyShopUser,
        }),
      }),
    );
    await request(`${shop.url}/orders`, { user: 'gail', body: {} });
    const [event] = await server.waitForEvents({ event: 'Order Placed' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({ token: 'ASYNC-T', distinctId: 'gail' });
  });

  it('forRootAsync takes an options factory class (useClass)', async () => {
    @Injectable()
    class CohorlyOptionsFactory {
      constructor(@Inject(AppConfig) private readonly config: AppConfig) {}
      createCohorlyOptions(): CohorlyModuleOptions {
        return { token: this.config.cohorlyToken, apiHost: server.url };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        CohorlyModule.forRootAsync({ imports: [AppConfigModule], useClass: CohorlyOptionsFactory }),
      ],
    }).compile();
    const service = moduleRef.get(CohorlyService);
    await service.track('Configured', {}, { distinctId: 'u' });
    await service.flush();
    expect(server.events({ event: 'Configured' })).toMatchObject([{ token: 'ASYNC-T' }]);
    await moduleRef.close();
  });

  it('is global by default: any module can inject CohorlyService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CohorlyModule.forRoot({ token: 'T', apiHost: server.url }), FeatureModule],
    }).compile();
    expect(moduleRef.get(FeatureService).cohorly).toBeInstanceOf(CohorlyService);
    await moduleRef.close();
  });

  it('with isGlobal: false, only modules that import it can inject CohorlyService', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        CohorlyModule.forRoot({ token: 'T', apiHost: server.url, isGlobal: false }),
        FeatureModule,
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(/can't resolve dependencies of the FeatureService/);
  });

  it('says at startup which options it does not know, and what was probably meant', async () => {
    const errors: unknown[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        CohorlyModule.forRootAsync({
          isGlobal: false,
          // A factory in plain JavaScript, or one typed loosely: nothing checks its keys.
          useFactory: () =>
            ({
              token: 'T',
              apihost: server.url,
              shutdownTimeoutMs: 100,
              shutdownTimeout: 100,
              onError: (error: unknown) => errors.push(error),
            }) as CohorlyModuleOptions,
        }),
      ],
    }).compile();
    // Its own options (shutdownTimeoutMs, isGlobal) are known; the misspelt one is named.
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'CohorlyModule: apihost is not an option, and is ignored (did you mean apiHost?)',
      'CohorlyModule: shutdownTimeout is not an option, and is ignored (did you mean shutdownTimeoutMs?)',
    ]);
    await moduleRef.close();
  });

  it('reads the token and the host from COHORLY_TOKEN and COHORLY_API_HOST', async () => {
    vi.stubEnv('COHORLY_TOKEN', 'ENV-T');
    vi.stubEnv('COHORLY_API_HOST', server.url);
    const shop = await startShop(CohorlyModule.forRoot({ identify: identifyShopUser }));
    await request(`${shop.url}/orders`, { user: 'hank', body: {} });
    const [event] = await server.waitForEvents({ event: 'Order Placed' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({ token: 'ENV-T', distinctId: 'hank' });
  });

  it('fails at startup, saying what to do, when no token can be found', async () => {
    vi.stubEnv('COHORLY_TOKEN', '');
    const compiling = Test.createTestingModule({ imports: [CohorlyModule.forRoot({})] }).compile();
    await expect(compiling).rejects.toThrow(
      'CohorlyModule: no Cohorly project token. Pass { token } (or { client }) in the options, or set the COHORLY_TOKEN environment variable.',
    );
  });

  it('fails at startup on options of the wrong type, naming them', async () => {
    const compile = (module: ReturnType<typeof CohorlyModule.forRoot>) =>
      Test.createTestingModule({ imports: [module] }).compile();
    // A value read from a config service as a string would fail the final flush at shutdown.
    await expect(
      compile(CohorlyModule.forRoot({ token: 'T', shutdownTimeoutMs: '5000' as never })),
    ).rejects.toThrow(
      'CohorlyModule: shutdownTimeoutMs must be a number of milliseconds from 0 to 2147483647, got "5000"',
    );
    await expect(
      compile(CohorlyModule.forRoot({ token: 'T', identify: 'user.id' as never })),
    ).rejects.toThrow('CohorlyModule: identify must be a function, got "user.id"');
    await expect(
      compile(CohorlyModule.forRootAsync({ useFactory: () => undefined as never })),
    ).rejects.toThrow(
      "CohorlyModule: the options (of forRoot(), or returned by forRootAsync()'s useFactory) must be an object, got undefined",
    );
  });
});

describe.each(PLATFORMS)('CohorlyModule request options on %s', (platform) => {
  it('passes the platform request and the handler context to identify, after guards ran', async () => {
    const handlers: (string | undefined)[] = [];
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: (req, context) => {
          handlers.push(context?.getHandler().name);
          return identifyShopUser(req);
        },
      }),
      platform,
    );
    await request(`${shop.url}/orders`, { user: 'ivy', body: {} });
    await server.waitForEvents({ event: 'Order Placed', distinctId: 'ivy' }, { timeoutMs: 10_000 });
    expect(handlers).toContain('placeOrder');
  });

  it('resolves events tracked in a route guard against the platform request the guard set req.user on', async () => {
    const errors: unknown[] = [];
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: identifyShopUser,
        onError: (error) => errors.push(error),
      }),
      platform,
      [MembersModule],
    );
    expect((await request(`${shop.url}/members`, { headers: { 'x-member': 'nia' } })).status).toBe(
      200,
    );
    // Tracked (queued) in the guard, before the response: this flush delivers it.
    await shop.app.get(CohorlyService).flush();
    expect(server.events({ event: 'Member Area Entered' })).toMatchObject([
      { distinctId: 'nia', properties: { via: 'guard' } },
    ]);
    expect(errors).toEqual([]);
  });

  it('adds superProperties and what capture asks for', async () => {
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: identifyShopUser,
        capture: { ip: true, userAgent: true, query: true },
        superProperties: (req) => ({ tenant: String(req.headers['x-tenant']) }),
      }),
      platform,
    );
    await request(`${shop.url}/orders?step=2`, {
      user: 'jay',
      body: {},
      headers: { 'x-tenant': 'acme', 'user-agent': 'shop-test/1.0' },
    });
    const [event] = await server.waitForEvents({ event: 'Order Placed' }, { timeoutMs: 10_000 });
    expect(event?.properties).toMatchObject({
      tenant: 'acme',
      $path: '/orders?step=2',
      $user_agent: 'shop-test/1.0',
      ip: expect.stringMatching(/127\.0\.0\.1$/),
      total: 42,
    });
  });

  it('sends nothing for requests ignore() excludes, and reports nothing', async () => {
    const errors: unknown[] = [];
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: identifyShopUser,
        ignore: (req) => req.url?.startsWith('/health') === true,
        onError: (error) => errors.push(error),
      }),
      platform,
    );
    expect((await request(`${shop.url}/health`, { user: 'kim' })).status).toBe(200);
    await request(`${shop.url}/marker/after-health`, { user: 'kim' });
    await server.waitForEvents({ event: 'Marker' }, { timeoutMs: 10_000 });
    await shop.app.get(CohorlyService).flush();
    expect(server.events().map((event) => event.event)).toEqual(['Marker']);
    expect(errors).toEqual([]);
  });
});

/** A feature module with its own CohorlyModule import and a controller that uses it. */
function featureModule(path: string, cohorly: DynamicModule | Type<unknown>): Type<unknown> {
  @Controller(path)
  class FeatureController {
    constructor(private readonly cohorly: CohorlyService) {}
    @Get()
    @Track(`${path} Listed`)
    list(): { ok: true } {
      void this.cohorly.track(`${path} Viewed`);
      return { ok: true };
    }
  }
  @Module({ imports: [cohorly], controllers: [FeatureController] })
  class Feature {}
  return Feature;
}

const IMPORTED_TWICE =
  'CohorlyModule: imported 2 times in this application (each forRoot() or forRootAsync() call adds its own client, middleware, guard and interceptor, so every @Track event would be sent 2 times). Import CohorlyModule.forRoot() once, in your root module; with isGlobal: false, import it in one shared module that exports it, and import that module where you inject CohorlyService.';

describe.each(PLATFORMS)('CohorlyModule imported more than once on %s', (platform) => {
  it('fails at startup when two feature modules each import it (isGlobal: false)', async () => {
    const cohorly = (token: string) =>
      CohorlyModule.forRoot({ token, apiHost: server.url, isGlobal: false });
    @Module({
      imports: [
        featureModule('orders', cohorly('ORDERS-T')),
        featureModule('users', cohorly('USERS-T')),
      ],
    })
    class AppModule {}
    const starting = startApp(AppModule, platform);
    // Closed after the test, should it start after all.
    void starting.then(
      (running) => apps.push(running),
      () => undefined,
    );
    await expect(starting).rejects.toThrow(IMPORTED_TWICE);
  });

  it('fails at startup when the root module and a library module each import it', async () => {
    const library = featureModule(
      'library',
      CohorlyModule.forRoot({ token: 'T', apiHost: server.url }),
    );
    await expect(
      startShop(CohorlyModule.forRoot({ token: 'T', apiHost: server.url }), platform, [library]),
    ).rejects.toThrow(IMPORTED_TWICE);
  });

  it('works imported once in a shared module that the feature modules import', async () => {
    @Module({
      imports: [CohorlyModule.forRoot({ token: 'T', apiHost: server.url, isGlobal: false })],
      exports: [CohorlyModule],
    })
    class AnalyticsModule {}
    @Module({
      imports: [featureModule('orders', AnalyticsModule), featureModule('users', AnalyticsModule)],
    })
    class AppModule {}
    const running = await startApp(AppModule, platform);
    apps.push(running);
    const anonymous = { headers: { 'x-cohorly-anonymous-id': 'anon-1' } };
    expect((await request(`${running.url}/orders`, anonymous)).status).toBe(200);
    expect((await request(`${running.url}/users`, anonymous)).status).toBe(200);
    await running.app.get(CohorlyService).flush();
    expect(
      server
        .events()
        .map((event) => event.event)
        .sort(),
    ).toEqual(['orders Listed', 'orders Viewed', 'users Listed', 'users Viewed']);
  });
});

describe('CohorlyModule in two applications of one process', () => {
  it('sends each application’s events to its own project', async () => {
    const appOf = (token: string) => {
      @Module({
        imports: [featureModule('orders', CohorlyModule.forRoot({ token, apiHost: server.url }))],
      })
      class AppModule {}
      return AppModule;
    };
    const express = await startApp(appOf('EXPRESS-T'), 'express');
    apps.push(express);
    const fastify = await startApp(appOf('FASTIFY-T'), 'fastify');
    apps.push(fastify);
    for (const [running, user] of [
      [express, 'eli'],
      [fastify, 'fay'],
    ] as const) {
      const headers = { 'x-cohorly-anonymous-id': user };
      expect((await request(`${running.url}/orders`, { headers })).status).toBe(200);
      await running.app.get(CohorlyService).flush();
    }
    expect(
      server
        .events()
        .map(({ event, token, distinctId }) => `${event} ${token} ${distinctId}`)
        .sort(),
    ).toEqual([
      'orders Listed EXPRESS-T eli',
      'orders Listed FASTIFY-T fay',
      'orders Viewed EXPRESS-T eli',
      'orders Viewed FASTIFY-T fay',
    ]);
  });
});

describe.each(PLATFORMS)('CohorlyModule shutdown on %s', (platform) => {
  it('app.close() delivers every event still queued', async () => {
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: identifyShopUser,
        // Nothing is flushed before shutdown: what arrives, the final flush delivered.
        flush: 'none',
        batching: { flushIntervalMs: 0 },
      }),
      platform,
    );
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    await Promise.all(users.map((user) => request(`${shop.url}/orders`, { user, body: {} })));
    expect(server.events()).toEqual([]);
    await shop.close();
    expect(
      server
        .events({ event: 'Order Placed' })
        .map((event) => event.distinctId)
        .sort(),
    ).toEqual(users);
  });

  it('gives up at shutdownTimeoutMs and reports what was not delivered', async () => {
    const errors: unknown[] = [];
    const shop = await startShop(
      CohorlyModule.forRoot({
        token: 'T',
        apiHost: server.url,
        identify: identifyShopUser,
        flush: 'none',
        batching: { flushIntervalMs: 0 },
        shutdownTimeoutMs: 300,
        onError: (error) => errors.push(error),
      }),
      platform,
    );
    await request(`${shop.url}/orders`, { user: 'lee', body: {} });
    // The server never answers in time.
    server.faults.next('/track', { delayMs: 60_000, store: false });
    // The deadline is a timer: the test moves time instead of waiting it out.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let closed = false;
      const closing = shop.close().then(() => {
        closed = true;
      });
      // The final flush reaches the server, which holds it. (Not vi.waitFor: it would move
      // the fake time as it polls.)
      for (let turn = 0; server.faults.pending('/track') > 0; turn += 1) {
        if (turn === 10_000) throw new Error('the final flush never reached the server');
        await new Promise((resolve) => setImmediate(resolve));
      }
      // The client reads the real clock twice on its way to the timer: a few ms of margin.
      await vi.advanceTimersByTimeAsync(290);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(10);
      await closing;
    } finally {
      vi.useRealTimers();
    }
    expect(server.events()).toEqual([]);
    expect(errors.map(String)).toContain(
      'Error: CohorlyModule: 1 message(s) could not be delivered within 300 ms of shutdown',
    );
  });
});

describe('analytics failures', () => {
  it('never reach the responses, and never cause an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const errors: unknown[] = [];
    const delivery: CohorlyError[] = [];
    // The client is handed in on a clock its sleep moves: the shutdown waits out the backoff
    // window up to shutdownTimeoutMs without sleeping. It sends as the module's own would.
    const time = { now: Date.now() };
    const consumer = new BufferedConsumer({
      apiHost: server.url,
      fetch: createNodeFetch(),
      clock: () => time.now,
      sleep: async (ms) => {
        time.now += ms;
      },
      onError: (error) => delivery.push(error),
    });
    try {
      server.faults.failFor('*', 60_000, { status: 500 });
      const shop = await startShop(
        CohorlyModule.forRoot({
          client: new Cohorly('T', { consumer }),
          identify: identifyShopUser,
          flush: 'on-close',
          shutdownTimeoutMs: 200,
          onError: (error) => errors.push(error),
        }),
      );
      const responses = await Promise.all([
        request(`${shop.url}/orders`, { user: 'mia', body: {} }),
        request(`${shop.url}/viewed/home`, { user: 'mia' }),
        request(`${shop.url}/signup/mia`, { method: 'POST' }),
      ]);
      expect(responses.map((response) => response.status)).toEqual([201, 200, 201]);
      const service = shop.app.get(CohorlyService);
      await service.flush();
      await shop.close();
      // Let any stray rejection surface before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(delivery.some((error) => error.code === 'server_error' && error.status === 500)).toBe(
        true,
      );
      expect(errors.map(String)).toContainEqual(
        expect.stringMatching(/could not be delivered within 200 ms of shutdown/),
      );
      expect(server.requests().some((entry) => entry.status === 500)).toBe(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
