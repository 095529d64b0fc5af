import { BufferedConsumer, Cohorly } from '@cohorly/core';
import { startTestServer } from '@cohorly/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveClient } from './resolve-client.js';

const noop = () => {};

describe('resolveClient', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('throws, naming the integration and the two ways to give a token, when there is none', () => {
    vi.stubEnv('COHORLY_TOKEN', undefined);
    expect(() => resolveClient({}, 'cohorly()', noop)).toThrow(
      'cohorly(): no Cohorly project token. Pass { token } (or { client }) in the options, or set the COHORLY_TOKEN environment variable.',
    );
    vi.stubEnv('COHORLY_TOKEN', '');
    expect(() => resolveClient({}, 'cohorly()', noop)).toThrow(/COHORLY_TOKEN/);
  });

  it('uses the client it is given, untouched', () => {
    const client = new Cohorly('t', { apiHost: 'http://127.0.0.1:9' });
    const resolved = resolveClient({ client, token: 'ignored' }, 'cohorly()', noop);
    expect(resolved.client).toBe(client);
    expect(resolved.owned).toBe(false);
  });

  it('rejects a client that is not a Cohorly client', () => {
    expect(() => resolveClient({ client: {} as Cohorly }, 'cohorly()', noop)).toThrow(
      'cohorly(): options.client must be a Cohorly client from @cohorly/core',
    );
  });

  it('creates a batching client from COHORLY_TOKEN and COHORLY_API_HOST', async () => {
    const server = await startTestServer();
    try {
      vi.stubEnv('COHORLY_TOKEN', 'env-token');
      vi.stubEnv('COHORLY_API_HOST', server.url);
      const resolved = resolveClient({}, 'cohorly()', noop);
      expect(resolved.owned).toBe(true);
      expect(resolved.client.consumer).toBeInstanceOf(BufferedConsumer);

      await resolved.client.track('u', 'From Env');
      const report = await resolved.close({ timeoutMs: 2000 });

      expect(report).toMatchObject({ drained: true, sent: 1 });
      expect(server.events()).toMatchObject([{ event: 'From Env', token: 'env-token' }]);
    } finally {
      await server.close();
    }
  });

  it('trims what it reads from the environment, as from a secret file or an env file', async () => {
    // A trailing newline made every batch a 401, which holds the queue; a blank value is unset.
    const server = await startTestServer({ tokens: ['env-token'] });
    try {
      vi.stubEnv('COHORLY_TOKEN', 'env-token\n');
      vi.stubEnv('COHORLY_API_HOST', ` ${server.url}/ `);
      const resolved = resolveClient({}, 'cohorly()', noop);

      await resolved.client.track('u', 'From Env');
      await expect(resolved.close({ timeoutMs: 2000 })).resolves.toMatchObject({ drained: true });

      expect(server.events()).toMatchObject([{ event: 'From Env', token: 'env-token' }]);
      vi.stubEnv('COHORLY_TOKEN', ' \n');
      expect(() => resolveClient({}, 'cohorly()', noop)).toThrow(/no Cohorly project token/);
    } finally {
      await server.close();
    }
  });

  it('prefers the options over the environment, and applies the batching options', async () => {
    const server = await startTestServer();
    try {
      vi.stubEnv('COHORLY_TOKEN', 'env-token');
      vi.stubEnv('COHORLY_API_HOST', 'http://127.0.0.1:9');
      const errors: unknown[] = [];
      const resolved = resolveClient(
        { token: 'option-token', apiHost: server.url, batching: { maxSize: 2 } },
        'cohorly()',
        (error) => errors.push(error),
      );

      // A batch of two is sent as soon as it is full, without a flush.
      await resolved.client.track('u', 'A');
      await resolved.client.track('u', 'B');

      expect(server.events().map((e) => [e.event, e.token])).toEqual([
        ['A', 'option-token'],
        ['B', 'option-token'],
      ]);
      await resolved.close({ timeoutMs: 1000 });
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("reports the created client's delivery failures to onError", async () => {
    const server = await startTestServer();
    try {
      server.faults.next('/track', { status: 400 });
      const errors: unknown[] = [];
      const resolved = resolveClient({ token: 't', apiHost: server.url }, 'cohorly()', (error) =>
        errors.push(error),
      );
      await resolved.client.track('u', 'Rejected');
      await resolved.client.flush().catch(noop);
      await resolved.close({ timeoutMs: 1000 });

      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain('400');
    } finally {
      await server.close();
    }
  });
});
