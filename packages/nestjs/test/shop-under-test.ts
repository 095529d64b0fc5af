import type { TestServer } from '@cohorly/testing';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { CohorlyModule } from '../src/index.js';
import { type Platform, type RunningApp, startApp } from './nest-harness.js';
import { identifyShopUser, shopModule } from './shop-fixture.js';

/** The shop of {@link useShop}, as the tests of a describe block see it. */
export interface ShopUnderTest {
  /** Its base URL, on 127.0.0.1. */
  readonly url: string;
  /** The Nest application, for `app.get(...)`. */
  readonly app: INestApplication;
  /** What its `CohorlyModule` passed to `onError`; emptied before each test. */
  readonly errors: unknown[];
}

/**
 * Starts the shop (shopModule) on `platform` before the calling describe block's tests, its
 * `CohorlyModule` tracking to `server` for the user the shop's guard found, and closes it
 * after them. Before each test, the server is reset and the errors are cleared, so that each
 * test sees only its own events.
 */
export function useShop(platform: Platform, server: TestServer): ShopUnderTest {
  let shop: RunningApp | undefined;
  const errors: unknown[] = [];

  beforeAll(async () => {
    const cohorly = CohorlyModule.forRoot({
      token: 'T',
      apiHost: server.url,
      identify: identifyShopUser,
      onError: (error) => errors.push(error),
    });
    shop = await startApp(shopModule(cohorly), platform);
  });
  afterAll(() => shop?.close());
  beforeEach(() => {
    server.reset();
    errors.length = 0;
  });

  const running = () => {
    if (!shop) throw new Error('useShop(): the shop starts before the tests');
    return shop;
  };
  return {
    get url() {
      return running().url;
    },
    get app() {
      return running().app;
    },
    errors,
  };
}
