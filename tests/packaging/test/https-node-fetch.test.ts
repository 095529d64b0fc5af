import https from 'node:https';
import { BufferedConsumer, Cohorly, type CohorlyError, Consumer } from '@cohorly/core';
import { createNodeFetch } from '@cohorly/server-kit/node';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Certificate, certificateSources } from './support/self-signed-certificate.js';
import { startTlsProxy, type TlsProxy } from './support/tls-proxy.js';

// The built @cohorly/server-kit/node transport against a Cohorly server behind HTTPS with a
// private CA (a self-signed certificate made now): core delivers through createNodeFetch()
// given an https.Agent that trusts that certificate, and the default createNodeFetch()
// refuses it, so TLS is really checked.

const sources = await certificateSources();

describe.each(sources)('createNodeFetch with a certificate made by %s', (_, makeCertificate) => {
  let server: TestServer;
  let proxy: TlsProxy;
  let certificate: Certificate;
  const agents: https.Agent[] = [];
  const consumers: BufferedConsumer[] = [];

  beforeEach(async () => {
    certificate = await makeCertificate();
    server = await startTestServer();
    proxy = await startTlsProxy(certificate, server.url);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.close({ timeoutMs: 0 })));
    for (const agent of agents.splice(0)) agent.destroy();
    await proxy.close();
    await server.close();
  });

  it('delivers batches and single messages to an https:// apiHost with an agent trusting the CA', async () => {
    const agent = new https.Agent({ ca: certificate.cert, keepAlive: true });
    agents.push(agent);
    const fetch = createNodeFetch({ httpsAgent: agent });
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const errors: CohorlyError[] = [];
    const batched = new Cohorly('https-token', {
      consumer: new BufferedConsumer({
        apiHost: proxy.url,
        fetch,
        onError: (error) => errors.push(error),
      }),
    });
    await batched.track('user-1', 'Paid Over TLS', { amount: 12, note: 'café 🚀' });
    await batched.peopleSet('user-1', { plan: 'pro' });
    expect(await batched.close({ timeoutMs: 10_000 })).toMatchObject({ drained: true, sent: 2 });

    const single = new Cohorly('https-token', {
      consumer: new Consumer({ apiHost: proxy.url, fetch }),
    });
    await single.alias('user-1@example.com', 'user-1');

    expect(errors).toEqual([]);
    expect(server.events()).toMatchObject([
      { event: 'Paid Over TLS', distinctId: 'user-1', properties: { amount: 12, note: 'café 🚀' } },
    ]);
    expect(server.profiles()).toMatchObject([
      { distinctId: 'user-1', properties: { plan: 'pro' } },
    ]);
    expect(server.aliases()).toMatchObject([{ alias: 'user-1@example.com', distinctId: 'user-1' }]);
  });

  it('is refused by the default createNodeFetch(), which does not trust the certificate', async () => {
    const errors: CohorlyError[] = [];
    const consumer = new BufferedConsumer({
      apiHost: proxy.url,
      fetch: createNodeFetch(),
      flushIntervalMs: 0,
      onError: (error) => errors.push(error),
    });
    consumers.push(consumer);
    const client = new Cohorly('https-token', { consumer });
    await client.track('user-1', 'Untrusted', {});

    expect(await consumer.flush()).toBe(false);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'network_error', retryable: true });
    expect(errors[0]?.message).toMatch(/certificate/i);
    expect(consumer.stats()).toMatchObject({ sent: 0, queued: { events: 1 } });
    expect(server.requests()).toEqual([]);
  });
});
