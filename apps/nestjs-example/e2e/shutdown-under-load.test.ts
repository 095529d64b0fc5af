import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startExampleApp } from './example-app.js';

const IN_FLIGHT = 50;

interface SentEvent {
  event: string;
  properties: { distinct_id: string; $insert_id: string };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('SIGTERM while serving traffic', () => {
  it('delivers the event of every request that succeeded, once, and exits', async () => {
    const app = await startExampleApp({ COHORLY_TOKEN: 'T', COHORLY_API_HOST: server.url });
    try {
      const users = Array.from({ length: IN_FLIGHT }, (_, i) => `busy-${i}`);
      const requests = users.map(async (user) => {
        const response = await call(`${app.url}/projects`, { user, body: { name: 'busy' } }).catch(
          () => undefined,
        );
        return response?.status === 201 ? user : undefined;
      });
      // The signal comes with the first answer, the other requests still in flight.
      await Promise.race(requests);

      const exit = await app.stop('SIGTERM');
      const succeeded = (await Promise.all(requests)).filter((user) => user !== undefined);

      expect(exit).toMatchObject({ killed: false, signal: 'SIGTERM' });
      expect(succeeded.length).toBeGreaterThan(0);
      const created = server
        .requests()
        .filter((request) => request.path === '/track' && request.status === 200)
        .flatMap((request) => request.json as SentEvent[])
        .filter((event) => event.event === 'Project Created');
      const ids = created.map((event) => event.properties.$insert_id);
      expect(ids.length).toBe(new Set(ids).size);
      const delivered = created.map((event) => event.properties.distinct_id);
      // Every request that succeeded has its event; a request cut off by the shutdown may
      // have been tracked too, but nothing else was.
      expect(succeeded.filter((user) => !delivered.includes(user))).toEqual([]);
      expect(delivered.filter((user) => !users.includes(user))).toEqual([]);
      expect(app.output()).not.toContain('unhandledRejection');
      expect(app.output()).not.toContain('could not be delivered');
    } finally {
      await app.stop('SIGKILL');
    }
  });
});
