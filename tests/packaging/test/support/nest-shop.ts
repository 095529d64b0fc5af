import 'reflect-metadata';
import { CohorlyModule, type CohorlyModuleOptions, CohorlyService, Track } from '@cohorly/nestjs';
import {
  ConsoleLogger,
  Controller,
  Get,
  Inject,
  type INestApplication,
  Module,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';

/** The shop's one route: tracks an event (with `@Track`) and updates the visitor's profile. */
@Controller()
class CheckoutController {
  // Injected by token, not by emitted parameter types: nothing here relies on metadata.
  constructor(@Inject(CohorlyService) private readonly cohorly: CohorlyService) {}

  @Get('checkout')
  @Track('Checkout Completed', { properties: () => ({ items: 2 }) })
  checkout(): { ok: boolean } {
    void this.cohorly.peopleSet({ plan: 'pro' });
    return { ok: true };
  }
}

/** A root module importing `CohorlyModule.forRoot(options)`. */
function shopModule(options: CohorlyModuleOptions): Type<unknown> {
  @Module({ imports: [CohorlyModule.forRoot(options)], controllers: [CheckoutController] })
  class ShopModule {}
  return ShopModule;
}

/** A running Nest shop on the Express platform. */
export interface NestShop {
  url: string;
  app: INestApplication;
  /** `app.close()`: Nest's shutdown hooks deliver what is queued. */
  close(): Promise<void>;
}

/**
 * Creates the shop with `CohorlyModule.forRoot(options)` and listens on 127.0.0.1. `logger`
 * is Nest's option (`false` silences it); `trustProxy` is Express's setting.
 */
export async function startNestShop(
  options: CohorlyModuleOptions,
  settings: { trustProxy?: boolean; logger?: false } = {},
): Promise<NestShop> {
  const app = await NestFactory.create<NestExpressApplication>(
    shopModule(options),
    new ExpressAdapter(),
    // Nest's logger is process-wide: pass one, or an earlier `false` keeps it silent.
    { logger: settings.logger ?? new ConsoleLogger(), abortOnError: false },
  );
  app.set('trust proxy', settings.trustProxy === true);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.getHttpServer().address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}
