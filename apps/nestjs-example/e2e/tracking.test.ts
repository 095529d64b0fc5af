import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type ExampleApp, startExampleApp } from './example-app.js';

let server: TestServer;
let app: ExampleApp;

beforeAll(async () => {
  server = await startTestServer({ tokens: ['EXAMPLE-T'] });
  app = await startExampleApp({ COHORLY_TOKEN: 'EXAMPLE-T', COHORLY_API_HOST: server.url });
});
afterAll(async () => {
  await app?.stop('SIGKILL');
  await server?.close();
});

/** Everyone `createProject` has created a project for so far, in order. */
const creators: string[] = [];

/** Creates a project for `user` and returns its id. */
async function createProject(user: string, plan = 'free'): Promise<string> {
  const response = await call(`${app.url}/projects`, { user, body: { name: `${user}'s`, plan } });
  expect(response.status).toBe(201);
  creators.push(user);
  return ((await response.json()) as { id: string }).id;
}

describe('the example app, tracking through @cohorly/nestjs', () => {
  it('tracks its startup outside any request, with an explicit distinct id', async () => {
    const [event] = await server.waitForEvents({ event: 'Server Started' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({ distinctId: 'system', properties: { node: process.version } });
  });

  it('turns an anonymous visitor into a user on sign-up: alias, profile and event', async () => {
    const response = await call(`${app.url}/signup`, {
      anonymousId: 'anon-1',
      body: { userId: 'user-ann', referrer: 'newsletter' },
    });
    expect(response.status).toBe(201);
    const [event] = await server.waitForEvents({ event: 'Signed Up' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({
      distinctId: 'user-ann',
      token: 'EXAMPLE-T',
      properties: { referrer: 'newsletter', $path: '/signup' },
    });
    // The alias and the profile go out in the same flush as the event.
    await expect
      .poll(() => server.aliases(), { timeout: 10_000 })
      .toMatchObject([{ alias: 'user-ann', distinctId: 'anon-1' }]);
    await expect
      .poll(() => server.profiles(), { timeout: 10_000 })
      .toMatchObject([
        { distinctId: 'user-ann', properties: { plan: 'free', referrer: 'newsletter' } },
      ]);
  });

  it('tracks @Track events for the user the guard signed in, with properties from the result', async () => {
    await createProject('user-bo', 'team');
    const [event] = await server.waitForEvents(
      { event: 'Project Created', distinctId: 'user-bo' },
      { timeoutMs: 10_000 },
    );
    expect(event?.properties).toMatchObject({ plan: 'team', $path: '/projects' });
  });

  it('tracks from the service layer for the request user, without passing it down', async () => {
    const id = await createProject('user-cy');
    expect((await call(`${app.url}/projects/${id}`, { user: 'user-cy' })).status).toBe(200);
    const [event] = await server.waitForEvents(
      { event: 'Project Viewed', properties: { projectId: id } },
      { timeoutMs: 10_000 },
    );
    expect(event?.distinctId).toBe('user-cy');
  });

  it('tracks nothing for a handler that throws, and the client gets its error', async () => {
    const id = await createProject('user-di');
    const failed = await call(`${app.url}/projects/${id}/export?format=pdf`, {
      user: 'user-di',
      method: 'POST',
    });
    expect(failed.status).toBe(503);
    const exported = await call(`${app.url}/projects/${id}/export?format=csv`, {
      user: 'user-di',
      method: 'POST',
    });
    expect(exported.status).toBe(201);
    // Tracked after the failed one, so the failed one would have arrived by now.
    await server.waitForEvents(
      { event: 'Project Exported', distinctId: 'user-di' },
      { timeoutMs: 10_000 },
    );
    expect(server.events({ event: 'Project Exported' })).toMatchObject([
      { distinctId: 'user-di', properties: { projectId: id, format: 'csv' } },
    ]);
    // Nothing else either: an export looks the project up without viewing it.
    expect(server.events({ distinctId: 'user-di' }).map((event) => event.event)).toEqual([
      'Project Created',
      'Project Exported',
    ]);
  });

  it('refuses a request without a user and tracks nothing for it', async () => {
    // With an anonymous id, an event tracked for the refused request would have someone to be
    // attributed to, and would arrive: without one, Cohorly would drop it anyway.
    const refused = await call(`${app.url}/projects`, {
      anonymousId: 'anon-refused',
      body: { name: 'x' },
    });
    expect(refused.status).toBe(401);
    await createProject('user-ed');
    // Tracked after the refused one, so anything tracked for it would have arrived by now.
    await server.waitForEvents(
      { event: 'Project Created', distinctId: 'user-ed' },
      { timeoutMs: 10_000 },
    );
    const created = server.events({ event: 'Project Created' }).map((event) => event.distinctId);
    expect(created.sort()).toEqual([...creators].sort());
    expect(server.events({ distinctId: 'anon-refused' })).toEqual([]);
  });

  it("serves health checks and an uptime monitor's visits, and tracks neither", async () => {
    const id = await createProject('user-fay');
    const monitored = await call(`${app.url}/projects/${id}`, {
      user: 'user-fay',
      userAgent: 'Mozilla/5.0 (compatible; UptimeRobot/2.0)',
    });
    expect(monitored.status).toBe(200);
    expect((await call(`${app.url}/health`)).status).toBe(200);
    expect((await call(`${app.url}/projects/${id}`, { user: 'user-fay' })).status).toBe(200);
    // Tracked after the monitor's view, so the monitor's would have arrived by now.
    await server.waitForEvents(
      { event: 'Project Viewed', distinctId: 'user-fay' },
      { timeoutMs: 10_000 },
    );
    expect(server.events({ event: 'Project Viewed', properties: { projectId: id } })).toHaveLength(
      1,
    );
  });

  it('never attributes an event to the user of another of 200 concurrent requests', async () => {
    const users = Array.from({ length: 200 }, (_, index) => `crowd-${index}`);
    const ids = await Promise.all(users.map((user) => createProject(user)));
    const owners = new Map(ids.map((id, index) => [id, users[index]!]));
    const views = await Promise.all(
      ids.map((id) => call(`${app.url}/projects/${id}`, { user: owners.get(id) })),
    );
    expect(views.every((response) => response.status === 200)).toBe(true);
    const viewed = await server.waitForEvents(
      { event: 'Project Viewed', where: (event) => owners.has(String(event.properties.projectId)) },
      { count: users.length, timeoutMs: 20_000 },
    );
    for (const event of viewed)
      expect(event.distinctId).toBe(owners.get(String(event.properties.projectId)));
    const created = server.events({
      event: 'Project Created',
      where: (event) => event.distinctId.startsWith('crowd-'),
    });
    expect(created.map((event) => event.distinctId).sort()).toEqual([...users].sort());
  });

  it('logged no unhandled rejection and no analytics error', () => {
    expect(app.output()).not.toContain('unhandledRejection');
    expect(app.output()).not.toContain('[Cohorly]');
  });
});
