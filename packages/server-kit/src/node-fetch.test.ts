import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BufferedConsumer, Cohorly, type CohorlyError, type FetchLike } from '@cohorly/core';
import { contractFaults, startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createNodeFetch, withNodeFetch } from './node-fetch.js';
import type { ClientOptions } from './resolve-client.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface PlainServer {
  url: string;
  server: http.Server;
  /** Each request, once its body has arrived. */
  received: Received[];
  /** TCP connections accepted. */
  connections(): number;
}

/** How long {@link runNode}'s process may run before it is killed (it takes well under 1 s). */
const CHILD_KILL_MS = 10_000;
/** The timeout of a test that calls {@link runNode}: above the bound, so the bound reports a hang. */
const CHILD_TEST_TIMEOUT_MS = CHILD_KILL_MS + 10_000;

/**
 * Runs an ES module script in a fresh Node process beside the built package, as an app would
 * load it, with `TARGET_URL` set; killed after CHILD_KILL_MS, or when the test ends.
 */
async function runNode(
  script: string,
  targetUrl: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, TARGET_URL: targetUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Whatever happens to the test (a failed assertion, vitest's timeout), the child dies with it.
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  return { code, signal, output };
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const plainServers: http.Server[] = [];
const testServers: TestServer[] = [];
const consumers: BufferedConsumer[] = [];

afterEach(async () => {
  // Before close(), whose deadline is a timer.
  vi.useRealTimers();
  await Promise.all(consumers.splice(0).map((consumer) => consumer.close({ timeoutMs: 0 })));
  const closing = plainServers.splice(0).map(
    (server) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  await Promise.all([...closing, ...testServers.splice(0).map((server) => server.close())]);
});

/** A plain `node:http` server on 127.0.0.1 that records what arrives, then calls `handler`. */
async function startServer(handler: Handler = (_, response) => response.end('ok')) {
  let connections = 0;
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { method = '', url = '', headers } = request;
      received.push({ method, url, headers, body: Buffer.concat(chunks) });
      handler(request, response);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  plainServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const plain: PlainServer = {
    url: `http://127.0.0.1:${port}`,
    server,
    received,
    connections: () => connections,
  };
  return plain;
}

/** A server that never answers; `arrived` resolves with the socket of the first request. */
async function startHangingServer() {
  let arrive: (socket: Socket) => void = () => undefined;
  const arrived = new Promise<Socket>((resolve) => {
    arrive = resolve;
  });
  const server = await startServer((request) => arrive(request.socket));
  return { server, arrived };
}

async function startCohorlyServer(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  testServers.push(server);
  return server;
}

const SLICE_CHARS = 16 * 1024;

/**
 * Over 200 KB of mixed 1-, 2- and 3-byte characters, with an emoji straddling the point
 * where each slice would end if the ones before it did not split a pair either (so every
 * slice end moves back one unit), and runs of emoji around each multiple of 16 K: a slice
 * cut anywhere else by one unit would leave a lone surrogate, sent as U+FFFD.
 */
function bodyWithEmojiAtEverySliceEnd(): string {
  const units = Array.from({ length: 14 * SLICE_CHARS }, (_, i) => 'abcdé日本xyz'[i % 10]!);
  for (let k = 1; k < 14; k += 1) {
    const boundary = k * SLICE_CHARS;
    for (let at = boundary - k - 8; at < boundary + 8; at += 2) {
      units[at] = '\ud83d';
      units[at + 1] = '\ude00';
    }
  }
  return units.join('');
}

describe('createNodeFetch: the request that arrives', () => {
  it.each([
    ['an ASCII string', '{"event":"Signed Up","properties":{"plan":"pro"}}'],
    ['a non-ASCII string', '{"event":"Café é","properties":{"city":"日本","mood":"🚀"}}'],
    ['a 200 KB string with emoji at every slice end', bodyWithEmojiAtEverySliceEnd()],
  ])('sends %s body byte for byte, with its UTF-8 length', async (_, body) => {
    const server = await startServer();

    const response = await createNodeFetch()(`${server.url}/track?verbose=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });

    expect(response.status).toBe(200);
    const [received] = server.received;
    const bytes = Buffer.from(body, 'utf8');
    expect(received).toMatchObject({ method: 'POST', url: '/track?verbose=1' });
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.headers['content-length']).toBe(String(bytes.length));
    // toEqual on Buffers would print 200 KB on failure; the U+FFFD check says why.
    expect(received?.body.includes(Buffer.from('\ufffd'))).toBe(false);
    expect(received?.body.equals(bytes)).toBe(true);
  });

  it('that 200 KB body is well formed and spans 14 slices', () => {
    const body = bodyWithEmojiAtEverySliceEnd();
    expect(Buffer.byteLength(body)).toBeGreaterThan(200_000);
    expect(body.length).toBeGreaterThan(13 * SLICE_CHARS);
    // Well formed: encoding and decoding gives it back.
    expect(Buffer.from(body, 'utf8').toString('utf8')).toBe(body);
  });

  it('sends a Uint8Array body as is, a view at an offset too', async () => {
    const server = await startServer();
    const bytes = new Uint8Array([0xff, 0xfe, 0, 1, 2, 0xc3, 0xa9, 255]);
    const nodeFetch = createNodeFetch();

    await nodeFetch(server.url, { method: 'PUT', body: bytes });
    await nodeFetch(server.url, { method: 'POST', body: bytes.subarray(3, 7) });

    expect(
      server.received.map(({ method, headers, body }) => [
        method,
        headers['content-length'],
        [...body],
      ]),
    ).toEqual([
      ['PUT', '8', [...bytes]],
      ['POST', '4', [1, 2, 0xc3, 0xa9]],
    ]);
  });

  it.each([
    ['Headers', new Headers({ 'X-Cohorly-Test': 'a', 'Content-Type': 'text/plain' })],
    [
      'an array',
      [
        ['X-Cohorly-Test', 'a'],
        ['Content-Type', 'text/plain'],
      ] as [string, string][],
    ],
    ['an object', { 'X-Cohorly-Test': 'a', 'Content-Type': 'text/plain' }],
  ])('sends headers given as %s', async (_, headers) => {
    const server = await startServer();

    await createNodeFetch()(server.url, { method: 'POST', headers, body: 'x' });

    expect(server.received[0]?.headers).toMatchObject({
      'x-cohorly-test': 'a',
      'content-type': 'text/plain',
      'content-length': '1',
    });
  });
});

describe('createNodeFetch: the Response', () => {
  it.each([200, 400, 429, 503])('gives status %i, its headers and its body', async (status) => {
    const server = await startServer((_, response) => {
      response.writeHead(status, { 'Retry-After': '7', 'Content-Type': 'application/json' });
      response.end(`{"status":${status},"note":"é 🚀"}`);
    });

    const response = await createNodeFetch()(server.url, { method: 'POST', body: '[]' });

    expect(response.status).toBe(status);
    expect(response.ok).toBe(status === 200);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe(`{"status":${status},"note":"é 🚀"}`);
  });

  it('gives a 204 with an empty body', async () => {
    const server = await startServer((_, response) => {
      response.writeHead(204).end();
    });

    const response = await createNodeFetch()(server.url, { method: 'POST', body: '{}' });

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('gives the answer of a server whose reason phrase holds a control character', async () => {
    // Node's parser accepts it, and `new Response` would throw on it: thrown in the
    // response's 'end' handler, that was once an uncaught exception and a promise that never
    // settled. The answer keeps the phrase as sent.
    const server = await startServer((request) => {
      request.socket.end('HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });

    const response = await createNodeFetch()(server.url, { method: 'POST', body: '{}' });

    expect(response.status).toBe(200);
    expect(response.statusText).toBe('O\x01K');
    expect(await response.text()).toBe('ok');
  });

  it.each([
    [200, 'ok'],
    [400, 'bad'],
  ])('gives a %i whose Content-Length is one byte short, as fetch does', async (status, text) => {
    // A hand-written server that counts characters, not bytes: the answer is complete, and
    // the byte after it must not turn a delivered (or refused) batch into a network error.
    const server = await startServer((request) => {
      request.socket.end(`HTTP/1.1 ${status} X\r\nContent-Length: ${text.length}\r\n\r\n${text}!`);
    });

    const response = await createNodeFetch()(server.url, { method: 'POST', body: '{}' });
    const global = await fetch(server.url, { method: 'POST', body: '{}' });

    expect([response.status, await response.text()]).toEqual([status, text]);
    expect([global.status, await global.text()]).toEqual([status, text]);
  });

  it('never loads undici: a process that only delivers with it has no Response, Headers or fetch loaded', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startServer((_, response) => {
      response.writeHead(200, { 'Retry-After': '1' }).end('{"status":1}');
    });
    // A fresh process, as an app is at its first delivery: building undici's first Response
    // costs 60 to 90 ms of CPU on the event loop.
    const script = `
      import { BufferedConsumer, Cohorly } from '@cohorly/core';
      import { createNodeFetch } from '@cohorly/server-kit/node';
      const consumer = new BufferedConsumer({ apiHost: process.env.TARGET_URL, fetch: createNodeFetch() });
      const client = new Cohorly('T', { consumer });
      await client.track('u1', 'Signed Up');
      const report = await client.close();
      const undici = process.moduleLoadList.filter((name) => name.includes('undici'));
      console.log(JSON.stringify({ sent: report.sent, undici }));
    `;
    const { code, output } = await runNode(script, server.url);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toEqual({ sent: 1, undici: [] });
    expect(server.received).toHaveLength(1);
  });

  it('delivers on a Node 20 release older than 20.16, which has no process.getBuiltinModule', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startServer((_, response) => {
      response.writeHead(200).end('{"status":1}');
    });
    // Removed before the package loads, as Node 20.0 to 20.15 lack it.
    const script = `
      delete process.getBuiltinModule;
      const { BufferedConsumer, Cohorly } = await import('@cohorly/core');
      const { createNodeFetch } = await import('@cohorly/server-kit/node');
      const consumer = new BufferedConsumer({ apiHost: process.env.TARGET_URL, fetch: createNodeFetch() });
      const client = new Cohorly('T', { consumer });
      await client.track('u1', 'Signed Up');
      const report = await client.close();
      console.log(JSON.stringify({ sent: report.sent, getBuiltinModule: typeof process.getBuiltinModule }));
    `;
    const { code, output } = await runNode(script, server.url);
    expect(code, output).toBe(0);
    expect(JSON.parse(output)).toEqual({ sent: 1, getBuiltinModule: 'undefined' });
    expect(server.received).toHaveLength(1);
  });
});

/** The most of an answer's body `createNodeFetch()` reads. */
const BODY_CAP = 64 * 1024;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/**
 * A handler that answers `status` with the alphabet over and over, in 26,000-byte writes
 * (so the cap falls inside one), up to `total` bytes: declared as the Content-Length, or, with
 * `endless`, sent chunked as an answer that would never end but for that hard cap. `sent`
 * says how many bytes it wrote, and `closed` resolves with whether the answer was finished
 * when its connection closed.
 */
function streamingAnswer(status: number, total: number, endless = false) {
  const chunk = Buffer.from(ALPHABET.repeat(1_000));
  let sent = 0;
  let close: (finished: boolean) => void = () => undefined;
  const closed = new Promise<boolean>((resolve) => {
    close = resolve;
  });
  const handler: Handler = (_, response) => {
    const length = endless ? {} : { 'Content-Length': String(total) };
    response.writeHead(status, { 'Content-Type': 'text/plain', ...length });
    response.once('close', () => close(response.writableFinished));
    const write = () => {
      while (sent < total && !response.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!response.write(piece)) {
          response.once('drain', write);
          return;
        }
      }
      response.end();
    };
    write();
  };
  return { handler, closed, sent: () => sent };
}

describe('createNodeFetch: a huge or endless answer', () => {
  const capped = ALPHABET.repeat(Math.ceil(BODY_CAP / ALPHABET.length)).slice(0, BODY_CAP);

  it.each([
    ['a 400 of 32 MiB', 400, 32 * 2 ** 20, false],
    ['a 200 that never ends (cut at 32 MiB by the test server)', 200, 32 * 2 ** 20, true],
  ])(
    'gives the status, the headers and the first 64 KiB of %s, and closes it',
    async (_, status, total, endless) => {
      const answer = streamingAnswer(status, total, endless);
      let requests = 0;
      const server = await startServer((request, response) => {
        requests += 1;
        if (requests === 1) answer.handler(request, response);
        else response.end('next');
      });
      const nodeFetch = createNodeFetch();

      const response = await nodeFetch(server.url, { method: 'POST', body: '[]' });

      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('text/plain');
      const text = await response.text();
      expect(text.length).toBe(BODY_CAP);
      expect(text).toBe(capped);
      // The server saw the connection closed with its answer unfinished, long before the end.
      expect(await answer.closed).toBe(false);
      expect(answer.sent()).toBeLessThan(total);
      // That connection is never reused: the next request opens a new one, and is answered.
      expect(await (await nodeFetch(server.url)).text()).toBe('next');
      expect(server.connections()).toBe(2);
    },
  );

  it('reads an answer of exactly 64 KiB whole, and keeps its connection for the next one', async () => {
    const server = await startServer((_, response) => response.end(capped));
    const nodeFetch = createNodeFetch();

    for (let i = 0; i < 2; i += 1) {
      const response = await nodeFetch(server.url, { method: 'POST', body: '[]' });
      expect(await response.text()).toBe(capped);
    }
    expect(server.connections()).toBe(1);
  });
});

describe('createNodeFetch: failures', () => {
  it('rejects with the reason of a signal aborted during a hanging request, and closes it', async () => {
    const { server, arrived } = await startHangingServer();
    const controller = new AbortController();

    const pending = createNodeFetch()(server.url, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    const socket = await arrived;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const reason = new Error('request timeout');
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    await closed;
  });

  it("rejects with the signal's reason even when it is not an Error, as fetch does", async () => {
    const { server, arrived } = await startHangingServer();
    const controller = new AbortController();

    const pending = createNodeFetch()(server.url, { signal: controller.signal });
    await arrived;
    controller.abort('stop');

    await expect(pending).rejects.toBe('stop');
  });

  it('rejects an already-aborted signal without sending anything', async () => {
    const server = await startServer();

    const pending = createNodeFetch()(server.url, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.abort(new Error('closed')),
    });

    await expect(pending).rejects.toThrow('closed');
    // Had the aborted call sent anything, the server would have seen it before this request.
    expect(await (await createNodeFetch()(server.url)).text()).toBe('ok');
    expect(server.received.map((request) => request.method)).toEqual(['GET']);
    expect(server.connections()).toBe(1);
  });

  it('rejects with ECONNREFUSED on a port nobody listens on', async () => {
    const server = await startServer();
    const url = server.url;
    await new Promise<void>((resolve) => server.server.close(() => resolve()));

    await expect(createNodeFetch()(url, { method: 'POST', body: '{}' })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('rejects, never throws, on an unsupported protocol, a bad URL or a bad body', async () => {
    const nodeFetch = createNodeFetch();
    const call = (input: string, init?: RequestInit) => {
      try {
        return nodeFetch(input, init);
      } catch (error) {
        return Promise.resolve({ threw: error });
      }
    };

    await expect(call('ftp://127.0.0.1/track')).rejects.toThrow(
      new TypeError('createNodeFetch: unsupported protocol ftp:'),
    );
    await expect(call('not a url')).rejects.toThrow(TypeError);
    await expect(
      call('http://127.0.0.1:9/', { method: 'POST', body: new Blob(['x']) }),
    ).rejects.toThrow(new TypeError('createNodeFetch: the body must be a string or a Uint8Array'));
    // Plain-object headers are checked by node:http, as Headers would check them.
    await expect(
      call('http://127.0.0.1:9/', { method: 'POST', headers: { 'Bad Name': 'x' }, body: '{}' }),
    ).rejects.toThrow(/Header name must be a valid HTTP token/);
    await expect(
      call('http://127.0.0.1:9/', { method: 'POST', headers: { 'X-Ok': 'a\r\nb' }, body: '{}' }),
    ).rejects.toThrow(/Invalid character in header content/);
  });
});

describe('createNodeFetch: keep-alive', () => {
  it('sends sequential requests over one connection', async () => {
    const server = await startServer();
    const nodeFetch = createNodeFetch();

    for (let i = 0; i < 5; i += 1) {
      const response = await nodeFetch(server.url, { method: 'POST', body: `{"i":${i}}` });
      expect(await response.text()).toBe('ok');
    }

    expect(server.received).toHaveLength(5);
    expect(server.connections()).toBe(1);
  });

  it('closes an idle connection itself after idleTimeoutMs when the server would keep it for a minute', async () => {
    const server = await startServer();
    // Behind a proxy that drops idle connections silently, reusing one after that fails.
    server.server.keepAliveTimeout = 60_000;
    const closed = new Promise<number>((resolve) => {
      server.server.once('connection', (socket: Socket) =>
        socket.once('close', () => resolve(performance.now())),
      );
    });
    // Short, so the test does not wait out the 4 s default: the agent's idle timer is a real
    // socket timer, which fake timers cannot drive.
    const nodeFetch = createNodeFetch({ idleTimeoutMs: 150 });
    await (await nodeFetch(server.url, { method: 'POST', body: '{}' })).text();
    const idleFrom = performance.now();

    const idleMs = (await closed) - idleFrom;
    expect(idleMs).toBeGreaterThan(100);
    expect(idleMs).toBeLessThan(30_000);
    expect(server.connections()).toBe(1);
  });

  it('rejects an idleTimeoutMs that no timer can wait, naming it', () => {
    for (const idleTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => createNodeFetch({ idleTimeoutMs })).toThrow(
        new TypeError(
          `createNodeFetch: idleTimeoutMs must be a number of milliseconds from 1 to 2147483647, got ${idleTimeoutMs}`,
        ),
      );
    }
  });

  it('never keeps the process alive with an idle connection', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startServer((_, response) => response.end('pong'));
    // No server-side idle timeout: only the client can let the idle connection go.
    server.server.keepAliveTimeout = 0;
    // The built package, as an app would load it.
    const script = `
      import { createNodeFetch } from '@cohorly/server-kit/node';
      const response = await createNodeFetch()(process.env.TARGET_URL, { method: 'POST', body: 'ping' });
      console.log(response.status, await response.text());
    `;
    const { code, signal, output } = await runNode(script, server.url);

    expect({ code, signal, output }).toEqual({ code: 0, signal: null, output: '200 pong\n' });
    // The connection was a keep-alive one, left open by the server.
    expect(server.received[0]?.headers.connection).toBe('keep-alive');
  });
});

describe('createNodeFetch with @cohorly/core', () => {
  /** Tracks the same messages, with fixed ids and times, through `fetch`. */
  async function deliver(server: TestServer, fetch: FetchLike | undefined) {
    const errors: CohorlyError[] = [];
    const consumer = new BufferedConsumer({
      apiHost: server.url,
      fetch,
      maxSize: 50,
      flushIntervalMs: 0,
      onError: (error) => errors.push(error),
    });
    const client = new Cohorly('node-fetch-token', { consumer });
    for (let i = 0; i < 120; i += 1) {
      await client.track(`user-${i % 7}`, 'Viewed Café', {
        $insert_id: `insert-${i}`,
        time: 1_764_220_000_000 + i,
        i,
        note: `日本 🚀 ${'x'.repeat(400)}`,
      });
    }
    await client.peopleSet('user-1', { name: 'Zoë 👩‍💻' });
    await client.alias('anon-1', 'user-1');
    expect(await client.close({ timeoutMs: 10_000 })).toMatchObject({ drained: true, sent: 122 });
    expect(errors).toEqual([]);
    // One request in flight per endpoint: the order within a path is fixed.
    return server
      .requests()
      .map(({ path, status, headers, body }) => ({
        path,
        status,
        type: headers['content-type'],
        length: headers['content-length'],
        body,
      }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  it('delivers byte for byte what the global fetch delivers', async () => {
    const server = await startCohorlyServer();

    const viaGlobal = await deliver(server, undefined);
    server.reset();
    const viaNode = await deliver(server, createNodeFetch());

    expect(viaNode.map((request) => request.path)).toEqual([
      '/alias',
      '/engage',
      '/track',
      '/track',
      '/track',
    ]);
    // Batches of 50 events are past one 16 K slice.
    expect(viaNode[2]!.body.length).toBeGreaterThan(SLICE_CHARS);
    expect(viaNode).toEqual(viaGlobal);
    expect(server.events().map((event) => event.properties.i)).toEqual(
      Array.from({ length: 120 }, (_, i) => i),
    );
  });

  const REQUEST_TIMEOUT_MS = 10_000;

  // These send batches: a single oversized message ('dropped') is core's own case.
  const batchFaults = contractFaults.filter((row) => row.outcome !== 'dropped');
  describe.each(batchFaults)('after $fault', ({ step, outcome, backoffMs }) => {
    it('keeps the retry contract', async () => {
      // Only the request timeout's timers are fake (the HTTP traffic is real): a hanging answer
      // ends when the test moves them on, and no other request can time out on a slow machine.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let now = 1_764_220_000_000;
      const server = await startCohorlyServer({ clock: () => now });
      const errors: CohorlyError[] = [];
      const consumer = new BufferedConsumer({
        apiHost: server.url,
        fetch: createNodeFetch(),
        maxSize: 10,
        flushIntervalMs: 0,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        clock: () => now,
        jitter: () => 0,
        onError: (error) => errors.push(error),
      });
      consumers.push(consumer);
      const client = new Cohorly('node-fetch-token', { consumer });
      for (let i = 0; i < 8; i += 1) await client.track(`user-${i}`, 'Step', { i });
      server.faults.next('/track', step);
      // A request is listed as it arrives, before its body is read (json undefined until then).
      const tracked = () =>
        server.requests().map((request) => (request.json as unknown[] | undefined)?.length);

      if (outcome === 'retried') {
        const flushing = consumer.flush();
        if (step.delayMs) {
          // The batch has arrived and hangs; only then does its timeout run out.
          await vi.waitUntil(() => tracked().length === 1, { timeout: 10_000 });
          await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
        }
        expect(await flushing).toBe(false);
        expect(consumer.stats().nextAttemptAt - now).toBe(backoffMs);
        expect(errors.map((error) => error.retryable)).toEqual([true]);
        expect(server.events()).toEqual([]);
        now = consumer.stats().nextAttemptAt;
        expect(await consumer.flush()).toBe(true);
        expect(tracked()).toEqual([8, 8]);
      } else if (outcome === 'rejected') {
        await expect(consumer.flush()).rejects.toMatchObject({ status: 400, messages: 8 });
        expect(consumer.stats()).toMatchObject({ sent: 0, dropped: { rejected: 8 } });
        expect(server.events()).toEqual([]);
        return;
      } else {
        expect(await consumer.flush()).toBe(true);
        expect(tracked()).toEqual([8, 4, 4]);
      }
      // Delivered once each, in order.
      expect(server.events().map((event) => event.properties.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(consumer.stats()).toMatchObject({ sent: 8, queued: { events: 0 } });
    });
  });
});

describe('withNodeFetch', () => {
  it('gives a Node integration createNodeFetch() unless it brings its own client or fetch', async () => {
    const server = await startServer((_, response) => response.end('from node:http'));
    const options = withNodeFetch<ClientOptions>({ token: 'T' });
    expect(options.token).toBe('T');
    const response = await options.fetch!(server.url, { method: 'POST', body: '{}' });
    expect(await response.text()).toBe('from node:http');

    const ownFetch: FetchLike = () => Promise.resolve(new Response('mine'));
    expect(withNodeFetch({ fetch: ownFetch }).fetch).toBe(ownFetch);
    const client = new Cohorly('T', { consumer: new BufferedConsumer({ flushIntervalMs: 0 }) });
    expect(withNodeFetch({ client })).toEqual({ client });
    await client.close();
  });

  it.each(['Bun', 'Deno'])(
    'leaves the options alone on %s, so the client sends with the runtime’s global fetch',
    async (runtime) => {
      // Their global fetch honours HTTP_PROXY where their node:http does not. The real runtimes
      // run in tests/runtimes (express-bun-deno.test.ts); here only the global tells them apart.
      vi.stubGlobal(runtime, {});
      onTestFinished(() => {
        vi.unstubAllGlobals();
      });
      const server = await startCohorlyServer();

      const options = withNodeFetch<ClientOptions>({ token: 'T', apiHost: server.url });

      expect(options).toEqual({ token: 'T', apiHost: server.url });
      const consumer = new BufferedConsumer({ apiHost: server.url, fetch: options.fetch });
      consumers.push(consumer);
      await new Cohorly('T', { consumer }).track('u1', 'Signed Up');
      expect(await consumer.close()).toMatchObject({ sent: 1, undelivered: 0 });
      expect(server.events().map((event) => event.distinctId)).toEqual(['u1']);
    },
  );
});

describe('createNodeFetch: an environment it may not read', () => {
  it('treats NODE_USE_ENV_PROXY and NODE_OPTIONS as unset when reading them throws, as on Deno with a narrow --allow-env', async () => {
    const server = await startServer();
    // Deno's process.env throws NotCapable for a name --allow-env does not list.
    const env = process.env;
    onTestFinished(() => {
      process.env = env;
    });
    process.env = new Proxy(env, {
      get(target, name) {
        if (name === 'NODE_USE_ENV_PROXY' || name === 'NODE_OPTIONS') {
          throw new Error(`Requires env access to "${String(name)}"`);
        }
        return Reflect.get(target, name);
      },
    });

    const send = createNodeFetch();

    expect(await (await send(server.url, { method: 'POST', body: '{}' })).text()).toBe('ok');
    expect(server.received.map((request) => request.method)).toEqual(['POST']);
  });
});
