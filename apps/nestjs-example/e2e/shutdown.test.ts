import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startExampleApp } from './example-app.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('the example app stopping', () => {
  it('delivers every event on SIGTERM (enableShutdownHooks), then exits', async () => {
    // With flush "none", nothing is sent before shutdown: what arrives, shutdown delivered.
    const app = await startExampleApp({
      COHORLY_TOKEN: 'T',
      COHORLY_API_HOST: server.url,
      COHORLY_FLUSH: 'none',
    });
    try {
      const users = ['sig-1', 'sig-2', 'sig-3', 'sig-4'];
      for (const user of users) {
        const response = await call(`${app.url}/projects`, { user, body: { name: 'p' } });
        expect(response.status).toBe(201);
      }
      expect(server.events({ event: 'Project Created' })).toEqual([]);
      const exit = await app.stop('SIGTERM');
      expect(exit).toMatchObject({ killed: false, signal: 'SIGTERM' });
      const created = server.events({ event: 'Project Created' }).map((event) => event.distinctId);
      expect(created.sort()).toEqual(users);
      expect(server.events({ event: 'Server Started' })).toHaveLength(1);
      expect(app.output()).not.toContain('unhandledRejection');
    } finally {
      await app.stop('SIGKILL');
    }
  });

  it('delivers every event on app.close(), after which the process exits by itself', async () => {
    const users = ['close-1', 'close-2', 'close-3'];
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./close-and-exit.mjs', import.meta.url))],
      {
        env: {
          ...process.env,
          COHORLY_TOKEN: 'T',
          COHORLY_API_HOST: server.url,
          COHORLY_FLUSH: 'none',
          USERS: users.join(','),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(timer);
    }
    expect(output).toContain('closed');
    expect(output).not.toContain('unhandledRejection');
    const created = server.events({
      event: 'Project Created',
      where: (event) => event.distinctId.startsWith('close-'),
    });
    expect(created.map((event) => event.distinctId).sort()).toEqual(users);
  });

  it('refuses to start without a project token, and says how to give one', async () => {
    const starting = startExampleApp({ COHORLY_TOKEN: '', COHORLY_API_HOST: server.url });
    await expect(starting).rejects.toThrow(/no Cohorly project token.*COHORLY_TOKEN/);
  });
});
