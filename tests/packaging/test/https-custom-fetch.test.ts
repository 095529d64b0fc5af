import { BufferedConsumer, Cohorly, CohorlyError, Consumer, type FetchLike } from '@cohorly/core';
import { createCohorlyServer } from '@cohorly/next';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Certificate, certificateSources } from './support/self-signed-certificate.js';
import { startTlsProxy, type TlsProxy } from './support/tls-proxy.js';

// A Cohorly server behind HTTPS with a private CA (here a self-signed certificate made now):
// @cohorly/core delivers to https://127.0.0.1:PORT through a custom `fetch` whose undici
// Agent trusts that certificate, and the default fetch refuses it, so TLS is really checked.

/** A fetch that trusts `ca`, as a user would write it for a private CA. */
function fetchTrusting(ca: string): { fetch: FetchLike; agent: Agent } {
  const agent = new Agent({ connect: { ca } });
  const fetch: FetchLike = (input, init) =>
    undiciFetch(input, {
      ...(init as UndiciRequestInit),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  return { fetch, agent };
}

const sources = await certificateSources();

describe.each(sources)('with a certificate made by %s', (_, makeCertificate) => {
  let server: TestServer;
  let proxy: TlsProxy;
  let certificate: Certificate;
  let agent: Agent | undefined;

  beforeEach(async () => {
    certificate = await makeCertificate();
    server = await startTestServer();
    proxy = await startTlsProxy(certificate, server.url);
  });

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await proxy.close();
    await server.close();
  });

  it('delivers batches and single messages to an https:// apiHost through a custom fetch', async () => {
    const trusting = fetchTrusting(certificate.cert);
    agent = trusting.agent;
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const errors: unknown[] = [];
    const batched = new Cohorly('https-token', {
      consumer: new BufferedConsumer({
        apiHost: proxy.url,
        fetch: trusting.fetch,
        onError: (error) => errors.push(error),
      }),
    });
    await batched.track('user-1', 'Paid Over TLS', { amount: 12 });
    await batched.peopleSet('user-1', { plan: 'pro' });
    expect(await batched.close({ timeoutMs: 10_000 })).toMatchObject({ drained: true, sent: 2 });

    const single = new Cohorly('https-token', {
      consumer: new Consumer({ apiHost: proxy.url, fetch: trusting.fetch }),
    });
    await single.alias('user-1@example.com', 'user-1');

    expect(errors).toEqual([]);
    expect(server.events()).toMatchObject([
      { event: 'Paid Over TLS', distinctId: 'user-1', properties: { amount: 12 } },
    ]);
    expect(server.profiles()).toMatchObject([
      { distinctId: 'user-1', properties: { plan: 'pro' } },
    ]);
    expect(server.aliases()).toMatchObject([{ alias: 'user-1@example.com', distinctId: 'user-1' }]);
  });

  it('lets an integration use that client (options.client)', async () => {
    const trusting = fetchTrusting(certificate.cert);
    agent = trusting.agent;
    const client = new Cohorly('https-token', {
      consumer: new BufferedConsumer({ apiHost: proxy.url, fetch: trusting.fetch }),
    });
    const cohorly = createCohorlyServer({ client });
    try {
      await cohorly.trackServer('Integration Over TLS', {}, { distinctId: 'user-2' });
    } finally {
      await cohorly.close({ timeoutMs: 1000 });
    }
    expect(server.events()).toMatchObject([
      { event: 'Integration Over TLS', distinctId: 'user-2' },
    ]);
  });

  it('is refused by the default fetch, which does not trust the certificate', async () => {
    const client = new Cohorly('https-token', {
      consumer: new Consumer({ apiHost: proxy.url, retryLimit: 0 }),
    });
    const error = await client.track('user-1', 'Untrusted', {}).catch((caught: unknown) => caught);
    expect(CohorlyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'network_error' });
    expect((error as Error).message).toMatch(/certificate/i);
    expect(server.requests()).toEqual([]);
  });
});
