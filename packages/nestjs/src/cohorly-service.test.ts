import { startTestServer } from '@cohorly/testing';
import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, type RunningApp, request, startApp } from '../test/nest-harness.js';
import { shopModule } from '../test/shop-fixture.js';
import { useShop } from '../test/shop-under-test.js';
import { CohorlyModule, CohorlyService } from './index.js';

// One Cohorly test server for the whole file, started as it loads.
const server = await startTestServer();
afterAll(() => server.close());

describe.each(PLATFORMS)('CohorlyService during requests on %s', (platform) => {
  const shop = useShop(platform, server);

  it('tracks for the request user after an await, with the request properties', async () => {
    expect((await request(`${shop.url}/viewed/pricing`, { user: 'dana' })).status).toBe(200);
    const [event] = await server.waitForEvents({ event: 'Page Viewed' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({
      distinctId: 'dana',
      properties: { page: 'pricing', $path: '/viewed/pricing' },
    });
  });

  it('tracks for an explicit distinctId inside a request', async () => {
    await request(`${shop.url}/for/erin`, { user: 'frank' });
    const [event] = await server.waitForEvents({ event: 'Invited' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({ distinctId: 'erin', properties: { by: 'frank' } });
  });

  it('identifies, aliases and updates the profile of the request user', async () => {
    const response = await request(`${shop.url}/signup/user-42`, {
      method: 'POST',
      headers: { 'x-cohorly-anonymous-id': 'anon-42' },
    });
    expect(response.status).toBe(201);
    const [event] = await server.waitForEvents({ event: 'Signed Up' }, { timeoutMs: 10_000 });
    expect(event?.distinctId).toBe('user-42');
    // Joins the flush that delivered the event, which sends the alias and profile too.
    await shop.app.get(CohorlyService).flush();
    expect(server.aliases()).toMatchObject([{ alias: 'user-42', distinctId: 'anon-42' }]);
    expect(server.profiles()).toMatchObject([
      { distinctId: 'user-42', properties: { plan: 'free', first_seen: 'signup', logins: 1 } },
    ]);
    expect(shop.errors).toEqual([]);
  });
});

describe('CohorlyService outside requests', () => {
  const errors: unknown[] = [];
  let shop: RunningApp;
  let service: CohorlyService;

  @Injectable()
  class StartupJob implements OnApplicationBootstrap {
    constructor(private readonly cohorly: CohorlyService) {}
    onApplicationBootstrap(): void {
      void this.cohorly.track('App Started', { version: '1.2.3' }, { distinctId: 'system' });
    }
  }
  @Module({ providers: [StartupJob] })
  class JobsModule {}

  beforeAll(async () => {
    server.reset();
    const cohorly = CohorlyModule.forRoot({
      token: 'T',
      apiHost: server.url,
      onError: (error) => errors.push(error),
    });
    shop = await startApp(shopModule(cohorly, [JobsModule]), 'express');
    service = shop.app.get(CohorlyService);
  });
  afterAll(() => shop?.close());
  afterEach(() => {
    errors.length = 0;
  });

  it('tracks with an explicit distinctId and flushes on its own, soon after', async () => {
    const [event] = await server.waitForEvents({ event: 'App Started' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({ distinctId: 'system', properties: { version: '1.2.3' } });
    // No request: no $path.
    expect(event?.properties).not.toHaveProperty('$path');
  });

  it('sends profile updates and aliases for an explicit distinctId', async () => {
    await service.peopleSet({ plan: 'pro' }, { distinctId: 'acct-1' });
    await service.peopleUnset(['trial'], { distinctId: 'acct-1' });
    await service.alias('acct-1-new', 'acct-1');
    await service.flush();
    expect(server.profiles()).toMatchObject([
      { distinctId: 'acct-1', properties: { plan: 'pro' } },
    ]);
    expect(server.aliases()).toMatchObject([{ alias: 'acct-1-new', distinctId: 'acct-1' }]);
  });

  it('reports a call without distinctId to onError, and sends nothing', async () => {
    const before = server.requests().length;
    await expect(service.track('Orphan')).resolves.toBeUndefined();
    await expect(service.peopleDelete()).resolves.toBeUndefined();
    await expect(service.alias('x')).resolves.toBeUndefined();
    service.identify('nobody');
    await service.flush();
    expect(server.requests().length).toBe(before);
    expect(errors.map(String)).toEqual([
      expect.stringContaining(
        'CohorlyService.track("Orphan") was not sent: it was called outside a request',
      ),
      expect.stringContaining('CohorlyService.peopleDelete() was not sent'),
      expect.stringContaining('CohorlyService.alias() was not sent'),
      expect.stringContaining('CohorlyService.identify() had no effect'),
    ]);
    expect(String(errors[0])).toContain('pass { distinctId }');
    expect(service.distinctId).toBeUndefined();
  });

  it('reports options other than { distinctId } by name, and sends nothing', async () => {
    const before = server.requests().length;
    await service.track('Invoice Sent', { amount: 120 }, { distinct_id: 'owner-7' } as never);
    await service.peopleSet({ last_invoice: 120 }, 'owner-7' as never);
    await service.peopleDelete({ distinctId: '' });
    await service.flush();
    expect(server.requests().length).toBe(before);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'track "Invoice Sent" was not sent: distinct_id is not an option (did you mean distinctId?)',
      'peopleSet was not sent: options must be an object such as { distinctId: "owner-7" }, got "owner-7"',
      'peopleDelete was not sent: distinctId must be a non-empty string, got ""',
    ]);
    for (const error of errors) expect(error).toBeInstanceOf(TypeError);
  });

  it('exposes the client for what requests do not cover', async () => {
    await service.client.importData('system', 'Backfilled', 1_700_000_000_000);
    await service.flush();
    const [event] = await server.waitForEvents({ event: 'Backfilled' }, { timeoutMs: 10_000 });
    expect(event?.properties.time).toBe(1_700_000_000_000);
  });
});
