import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferedConsumer, type BufferedConsumerOptions } from './buffered-consumer.js';
import { Cohorly } from './cohorly.js';
import { Consumer } from './consumer.js';
import type { CohorlyError } from './errors.js';

/** What a streaming answer's server saw: how much it wrote, and how the answer ended. */
interface Served {
  written: number;
  /** `finished`: every byte was written; `client gone`: the client closed the connection first. */
  ended: 'finished' | 'client gone' | undefined;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');
// Far more than Cohorly reads, and than the sockets on both sides buffer, but small enough
// that an SDK that reads it all still ends the test.
const HUGE = 32 * 1024 * 1024;

let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await closeServer?.();
  closeServer = undefined;
});

/** A server on 127.0.0.1 that answers every request with `answer`, after reading its body. */
async function serve(answer: (res: ServerResponse, req: IncomingMessage) => void) {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res, req));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeServer = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Writes `CHUNK`s to `res` as fast as the client reads them, until `total` bytes are written
 * (then ends the answer) or the client goes away: at most `total` bytes, whatever the client.
 */
function writeUntilGone(res: ServerResponse, total: number): Served {
  const served: Served = { written: 0, ended: undefined };
  res.on('close', () => {
    served.ended = res.writableFinished ? 'finished' : 'client gone';
  });
  const write = () => {
    while (served.written < total && !res.destroyed) {
      served.written += CHUNK.length;
      if (!res.write(CHUNK)) {
        res.once('drain', write);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  write();
  return served;
}

function buffered(apiHost: string, options: BufferedConsumerOptions = {}) {
  const errors: CohorlyError[] = [];
  const consumer = new BufferedConsumer({
    apiHost,
    flushIntervalMs: 0,
    onError: (error) => errors.push(error),
    ...options,
  });
  return { consumer, errors };
}

describe('a huge or endless answer', () => {
  it('reads the start of a huge error answer, quotes 500 characters of it, and hangs up', async () => {
    let served: Served | undefined;
    const apiHost = await serve((res) => {
      res.writeHead(400, { 'content-type': 'text/plain', 'content-length': String(HUGE) });
      served = writeUntilGone(res, HUGE);
    });
    const { consumer, errors } = buffered(apiHost);
    const client = new Cohorly('T', { consumer });
    await client.track('u', 'A');
    await expect(consumer.flush()).rejects.toMatchObject({ status: 400, code: 'rejected' });
    // The batch was refused: dropped and reported, as any 400.
    expect(consumer.stats()).toMatchObject({ sent: 0, dropped: { rejected: 1 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/ \(status 400\): a{500}\.\.\.$/);
    await vi.waitUntil(() => served?.ended !== undefined, { timeout: 5000 });
    expect(served).toMatchObject({ ended: 'client gone' });
    expect(served!.written).toBeLessThan(HUGE);
  });

  it('stops reading a 2xx answer that never ends, and counts the batch as sent', async () => {
    let served: Served | undefined;
    const apiHost = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // No content-length: the answer goes on until the client hangs up (or HUGE is written).
      served = writeUntilGone(res, HUGE);
    });
    const { consumer, errors } = buffered(apiHost);
    const client = new Cohorly('T', { consumer });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(true);
    expect(consumer.stats()).toMatchObject({ sent: 1, queued: { events: 0 } });
    expect(errors).toEqual([]);
    await vi.waitUntil(() => served?.ended !== undefined, { timeout: 5000 });
    expect(served).toMatchObject({ ended: 'client gone' });
    expect(served!.written).toBeLessThan(HUGE);
  });

  it('delivers through the synchronous Consumer despite an endless answer', async () => {
    let served: Served | undefined;
    const apiHost = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      served = writeUntilGone(res, HUGE);
    });
    const client = new Cohorly('T', { consumer: new Consumer({ apiHost, retryLimit: 0 }) });
    await expect(client.track('u', 'A')).resolves.toBeUndefined();
    await vi.waitUntil(() => served?.ended !== undefined, { timeout: 5000 });
    expect(served).toMatchObject({ ended: 'client gone' });
  });

  it('bounds the reading of an answer that stalls by requestTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const apiHost = await serve((res) => {
      res.writeHead(400, { 'content-type': 'text/plain', 'content-length': '100000' });
      // The first part of the answer, then nothing.
      res.write('bad request, and');
    });
    let answered = false;
    const { consumer, errors } = buffered(apiHost, {
      requestTimeoutMs: 5000,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        answered = true;
        return response;
      },
    });
    const client = new Cohorly('T', { consumer });
    await client.track('u', 'A');
    const flushing = consumer.flush();
    // The status and headers are in: what is left to wait for is the body.
    await vi.waitUntil(() => answered, { timeout: 5000 });
    await vi.advanceTimersByTimeAsync(5000);
    await expect(flushing).resolves.toBe(false);
    expect(errors[0]).toMatchObject({ code: 'timeout', status: undefined, retryable: true });
    expect(consumer.stats().queued.events).toBe(1);
  });

  it.each([
    ['the global fetch', undefined],
    [
      'a fetch whose answer has only text()',
      (async (input, init) => {
        const response = await fetch(input, init);
        return {
          status: response.status,
          headers: { get: (name: string) => response.headers.get(name) },
          text: () => response.text(),
        };
      }) satisfies BufferedConsumerOptions['fetch'],
    ],
  ])(
    'never quotes part of a token that the cut of a long answer split, with %s',
    async (_name, fetchFn) => {
      // An answer of nothing but a long token, repeated past what Cohorly reads: masked whole
      // tokens shrink to a few hundred characters, so the cut one at the end would show.
      const token = `tok-${'z'.repeat(1996)}`;
      const apiHost = await serve((res) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(token.repeat(40));
      });
      const { consumer, errors } = buffered(apiHost, fetchFn ? { fetch: fetchFn } : {});
      const client = new Cohorly(token, { consumer });
      await client.track('u', 'A');
      await consumer.flush().catch(() => undefined);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/ \(status 400\): (<redacted>){32}\.\.\.$/);
      expect(errors[0]?.message).not.toMatch(/zz/);
    },
  );
});

describe('what an error quotes of an answer', () => {
  it('escapes control characters of a redirect target, so that it stays one log line', async () => {
    // An address the URL parser refuses is quoted as the server sent it.
    const apiHost = await serve((res) => {
      res.writeHead(307, { location: 'http://[\tbroken' });
      res.end();
    });
    const client = new Cohorly('T', { consumer: new Consumer({ apiHost }) });
    const error = (await client.track('u', 'A').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('the server redirects to http://[\\tbroken, and Cohorly');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters it must not contain.
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
  });
});
