import type { ExecutionContext } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type CohorlyModuleOptions,
  type CohorlyRequest,
  CohorlyModule,
  CohorlyService,
  Track,
} from './index.js';

type ShopEvents = {
  'Order Placed': { total: number };
  'Page Viewed': { page?: string };
};

/** A platform request type, as Express's or Fastify's would be: more than CohorlyRequest. */
interface PlatformRequest extends CohorlyRequest {
  user?: { id: string };
  cookies: Record<string, string>;
}

declare const service: CohorlyService<ShopEvents>;

describe('CohorlyService', () => {
  it('checks tracked events against the catalog it is given', () => {
    expectTypeOf(service.track('Order Placed', { total: 1 })).toEqualTypeOf<Promise<void>>();
    service.track('Page Viewed');
    service.track('Order Placed', { total: 1 }, { distinctId: 'u1' });
    // @ts-expect-error required properties are missing
    service.track('Order Placed');
    // @ts-expect-error not in the catalog
    service.track('Unknown Event');
    // @ts-expect-error wrong property type
    service.track('Order Placed', { total: 'one' });
  });

  it('takes { distinctId } on every per-user call', () => {
    service.peopleSet({ plan: 'pro' }, { distinctId: 'u1' });
    service.peopleIncrement({ logins: 1 }, { distinctId: 'u1' });
    service.peopleUnset(['trial'], { distinctId: 'u1' });
    service.peopleDelete({ distinctId: 'u1' });
    service.alias('new-id', 'old-id');
    expectTypeOf(service.flush()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(service.distinctId).toEqualTypeOf<string | undefined>();
  });
});

describe('CohorlyModule options', () => {
  it('lets callbacks take the platform request type and the handler context', () => {
    const options: CohorlyModuleOptions = {
      token: 'T',
      identify: (req: PlatformRequest, context) => {
        expectTypeOf(context).toEqualTypeOf<ExecutionContext | undefined>();
        return req.user?.id;
      },
      ignore: (req) => req.url === '/health',
      superProperties: (req: PlatformRequest) => ({ tenant: req.cookies.tenant }),
      shutdownTimeoutMs: 2000,
      flush: 'on-close',
    };
    CohorlyModule.forRoot({ ...options, isGlobal: false });
  });

  it('configures asynchronously with inject and useFactory', () => {
    CohorlyModule.forRootAsync({
      isGlobal: true,
      inject: ['CONFIG'],
      useFactory: (config: { token: string }): CohorlyModuleOptions => ({ token: config.token }),
    });
    // @ts-expect-error flush is one of three modes
    CohorlyModule.forRoot({ flush: 'sometimes' });
  });
});

describe('@Track', () => {
  it('types properties() from the handler result it is given', () => {
    Track('Order Placed', {
      properties: (req: PlatformRequest, order: { total: number }) => ({
        total: order.total,
        user: req.user?.id ?? null,
      }),
    });
    expectTypeOf(Track('Signed In')).toEqualTypeOf<MethodDecorator>();
    // @ts-expect-error properties must be JSON-like
    Track('Bad', { properties: () => ({ at: Symbol('x') }) });
  });
});
