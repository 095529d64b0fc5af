import {
  type CanActivate,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { type CohorlyRequest, CohorlyService, Track } from '../src/index.js';

/** The user a guard found, as a Nest app would attach it. */
export interface ShopUser {
  id: string;
}

/** `Authorization: Bearer <user-id>` sets `req.user`; `Bearer blocked` is refused. */
@Injectable()
export class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: ShopUser }>();
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (match?.[1] === 'blocked') throw new ForbiddenException('blocked');
    if (match?.[1]) req.user = { id: match[1] };
    return true;
  }
}

/** Where the shop's handlers wait on something asynchronous, as real handlers do. */
function later<T>(value: T): Promise<T> {
  return new Promise((resolve) => setImmediate(() => resolve(value)));
}

@Controller()
@UseGuards(BearerGuard)
export class ShopController {
  constructor(private readonly cohorly: CohorlyService) {}

  @Post('orders')
  @Track('Order Placed', {
    properties: (_req, order: { total: number }) => ({ total: order.total }),
  })
  async placeOrder(): Promise<{ id: string; total: number }> {
    return later({ id: 'o-1', total: 42 });
  }

  @Get('fail')
  @Track('Should Not Arrive')
  async fail(): Promise<never> {
    await later(null);
    throw new Error('handler failed');
  }

  @Get('bad-properties')
  @Track('Bad Properties', {
    properties: () => {
      throw new Error('no such field');
    },
  })
  badProperties(): { ok: true } {
    return { ok: true };
  }

  @Get('two-events')
  @Track('First Tracked')
  @Track('Second Tracked', { properties: (_req, result: { step: number }) => result })
  twoEvents(): { step: number } {
    return { step: 2 };
  }

  @Get('async-properties')
  @Track('Async Properties', {
    // TypeScript refuses it; plain JavaScript, or a callback typed `any`, does not.
    properties: (async () => ({ total: 42 })) as never,
  })
  asyncProperties(): { ok: true } {
    return { ok: true };
  }

  @Get('rejected-properties')
  @Track('Rejected Properties', {
    properties: (() => Promise.reject(new Error('lookup failed'))) as never,
  })
  rejectedProperties(): { ok: true } {
    return { ok: true };
  }

  @Get('viewed/:page')
  async viewed(@Param('page') page: string): Promise<{ ok: true }> {
    await later(null);
    // No await: analytics never holds a response up.
    void this.cohorly.track('Page Viewed', { page });
    return { ok: true };
  }

  @Get('for/:id')
  forSomeoneElse(@Param('id') id: string): { ok: true } {
    void this.cohorly.track('Invited', { by: this.cohorly.distinctId ?? null }, { distinctId: id });
    return { ok: true };
  }

  @Post('signup/:id')
  async signup(@Param('id') id: string): Promise<{ ok: true }> {
    const anonymous = this.cohorly.distinctId;
    this.cohorly.identify(id);
    if (anonymous) await this.cohorly.alias(id, anonymous);
    await this.cohorly.peopleSet({ plan: 'free' });
    await this.cohorly.peopleSetOnce({ first_seen: 'signup' });
    await this.cohorly.peopleIncrement({ logins: 1 });
    await this.cohorly.track('Signed Up');
    return { ok: true };
  }

  @Get('health')
  @Track('Health Checked')
  health(): { ok: true } {
    void this.cohorly.track('Health Tracked By Hand');
    return { ok: true };
  }

  @Get('marker/:name')
  @Track('Marker', {
    properties: (req: CohorlyRequest & { params: { name: string } }) => ({ name: req.params.name }),
  })
  marker(): { ok: true } {
    return { ok: true };
  }
}

/** A shop app module importing `cohorly` (a configured `CohorlyModule`). */
export function shopModule(cohorly: DynamicModule, extra: Type<unknown>[] = []): Type<unknown> {
  @Module({ imports: [cohorly, ...extra], controllers: [ShopController] })
  class ShopModule {}
  return ShopModule;
}

/** `identify` for the shop: the guard's user. */
export const identifyShopUser = (req: CohorlyRequest & { user?: ShopUser }): string | undefined =>
  req.user?.id;
