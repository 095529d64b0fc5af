// A small shop on NestJS, in CommonJS as many Nest apps still are, run as a child process by
// the scenario suite: on NestJS 12 from this package (Nest 12 is ESM-only and loads through
// Node's require(esm)), and on NestJS 11 from apps/nestjs11-compat, which copies this file
// next to a copy of the built package. Plain JavaScript, so decorators are applied with
// Reflect.decorate; `@cohorly/nestjs` resolves to the built dist/index.cjs either way.
//
// Environment: PORT (0 = any free port), PLATFORM (express | fastify), COHORLY_TOKEN,
// COHORLY_API_HOST, COHORLY_FLUSH (coalesced | on-close | none), COHORLY_IMPORT_TWICE (1: a
// second CohorlyModule in a feature module, which startup refuses).
const path = require('node:path');
require('reflect-metadata');
const {
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  UseGuards,
} = require('@nestjs/common');
const { ExternalContextCreator, NestFactory } = require('@nestjs/core');
const { CohorlyModule, CohorlyService, Track } = require('@cohorly/nestjs');

process.on('unhandledRejection', (reason) => {
  console.error(`unhandledRejection: ${String(reason)}`);
});

const later = (value) => new Promise((resolve) => setImmediate(() => resolve(value)));

class BearerGuard {
  canActivate(context) {
    const req = context.switchToHttp().getRequest();
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (match?.[1] === 'blocked') throw new ForbiddenException('blocked');
    if (match?.[1]) req.user = { id: match[1] };
    return true;
  }
}
Reflect.decorate([Injectable()], BearerGuard);

class ShopController {
  constructor(cohorly) {
    this.cohorly = cohorly;
  }
  async placeOrder() {
    return later({ id: 'o-1', total: 42 });
  }
  async fail() {
    await later(null);
    throw new Error('handler failed');
  }
  async viewed(page) {
    await later(null);
    void this.cohorly.track('Page Viewed', { page });
    return { ok: true };
  }
  marker() {
    return { ok: true };
  }
}
const method = (name, decorators) =>
  Reflect.decorate(
    decorators,
    ShopController.prototype,
    name,
    Object.getOwnPropertyDescriptor(ShopController.prototype, name),
  );
method('placeOrder', [
  Post('orders'),
  Track('Order Placed', { properties: (_req, order) => ({ total: order.total }) }),
]);
method('fail', [Get('fail'), Track('Should Not Arrive')]);
method('viewed', [Get('viewed/:page')]);
Param('page')(ShopController.prototype, 'viewed', 0);
method('marker', [
  Get('marker/:name'),
  Track('Marker', { properties: (req) => ({ name: req.params.name }) }),
]);
Reflect.decorate([Controller(), UseGuards(BearerGuard)], ShopController);
Inject(CohorlyService)(ShopController, undefined, 0);

class StartupJob {
  constructor(cohorly) {
    this.cohorly = cohorly;
  }
  onApplicationBootstrap() {
    // Outside any request: the distinct id is explicit.
    void this.cohorly.track(
      'App Started',
      { platform: process.env.PLATFORM },
      { distinctId: 'system' },
    );
  }
}
Reflect.decorate([Injectable()], StartupJob);
Inject(CohorlyService)(StartupJob, undefined, 0);

// A message handler as Discord, NATS or Telegram libraries call it: through Nest's
// ExternalContextCreator, whose default context type is 'http', with the message as argument.
class MessageListener {
  constructor(cohorly) {
    this.cohorly = cohorly;
  }
  onMessage(message) {
    void this.cohorly.track('Message Handled', { id: message.id }, { distinctId: message.from });
    return 'ack';
  }
}
Reflect.decorate([Injectable()], MessageListener);
Inject(CohorlyService)(MessageListener, undefined, 0);

class SecondCohorlyModule {}
Reflect.decorate(
  [Module({ imports: [CohorlyModule.forRoot({ isGlobal: false })] })],
  SecondCohorlyModule,
);

class ShopModule {}
Reflect.decorate(
  [
    Module({
      imports: [
        CohorlyModule.forRootAsync({
          useFactory: () => ({
            flush: process.env.COHORLY_FLUSH ?? 'coalesced',
            identify: (req) => req.user?.id,
          }),
        }),
        ...(process.env.COHORLY_IMPORT_TWICE === '1' ? [SecondCohorlyModule] : []),
      ],
      controllers: [ShopController],
      providers: [StartupJob, MessageListener],
    }),
  ],
  ShopModule,
);

function adapter(platform) {
  if (platform === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    return new FastifyAdapter();
  }
  const { ExpressAdapter } = require('@nestjs/platform-express');
  return new ExpressAdapter();
}

/** The NestJS version a module would load: the app's own, or the one `@cohorly/nestjs` sees. */
function nestVersion(from) {
  const paths = from ? [path.dirname(require.resolve(from))] : [__dirname];
  return require(require.resolve('@nestjs/core/package.json', { paths })).version;
}

async function main() {
  // The suite checks both: a package that loaded another copy of Nest could half work.
  console.log(`nest app=${nestVersion()} library=${nestVersion('@cohorly/nestjs')}`);
  const app = await NestFactory.create(ShopModule, adapter(process.env.PLATFORM), {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  const listener = app.get(MessageListener);
  const onMessage = app
    .get(ExternalContextCreator)
    .create(listener, listener.onMessage, 'onMessage');
  try {
    console.log(`message handler returned ${await onMessage({ id: 'm-1', from: 'bot' })}`);
  } catch (error) {
    console.error(`message handler failed: ${String(error)}`);
  }
  const { port } = app.getHttpServer().address();
  console.log(`listening on http://127.0.0.1:${port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
