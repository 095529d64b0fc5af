import { once } from 'node:events';
import { createServer, type IncomingMessage, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { nodeRequestHeader } from './node-request-header.js';

/** Header values a client sends; an array sends the header once per value. */
type SentHeaders = Record<string, string | string[]>;

/**
 * Sends one request with `headers` to a real Node server on loopback, and resolves with what
 * `read` made of the request the server received.
 */
async function received<T>(headers: SentHeaders, read: (req: IncomingMessage) => T): Promise<T> {
  let result: T | undefined;
  const server = createServer((req, res) => {
    result = read(req);
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, headers, agent: false }, (res) => {
        res.resume();
        res.once('end', resolve);
      });
      req.once('error', reject);
      req.end();
    });
    return result as T;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('nodeRequestHeader', () => {
  it('reads the first value of a header sent twice, not the two joined', async () => {
    const read = await received(
      { 'x-cohorly-anonymous-id': ['anon-a', 'anon-b'], 'X-Visitor': ['v1', 'v2'] },
      (req) => ({
        // What Node's own `headers` gives: a value no client sent.
        joined: req.headers['x-cohorly-anonymous-id'],
        anonymous: nodeRequestHeader(req, 'x-cohorly-anonymous-id'),
        visitor: nodeRequestHeader(req, 'X-Visitor'),
      }),
    );
    expect(read).toEqual({ joined: 'anon-a, anon-b', anonymous: 'anon-a', visitor: 'v1' });
  });

  it('skips an empty first value of a header sent twice, reading the first one with an id', async () => {
    const sent: Record<string, string[]> = {
      'x-cohorly-anonymous-id': ['', 'anon-b'],
      'x-visitor': ['v1', ''],
      'x-blank': ['', ''],
    };
    const read = await received(sent, (req) => ({
      joined: req.headers['x-cohorly-anonymous-id'],
      anonymous: nodeRequestHeader(req, 'x-cohorly-anonymous-id'),
      visitor: nodeRequestHeader(req, 'X-Visitor'),
      blank: nodeRequestHeader(req, 'x-blank'),
    }));
    // Read as empty, the first value would drop the event although the request has an id.
    expect(read).toEqual({ joined: ', anon-b', anonymous: 'anon-b', visitor: 'v1', blank: '' });
  });

  it('reads a single value whole, commas and all, and a missing header as undefined', async () => {
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)';
    const read = await received({ 'user-agent': userAgent, 'x-list': 'a, b' }, (req) => ({
      userAgent: nodeRequestHeader(req, 'user-agent'),
      list: nodeRequestHeader(req, 'x-list'),
      missing: nodeRequestHeader(req, 'x-cohorly-anonymous-id'),
    }));
    expect(read).toEqual({ userAgent, list: 'a, b', missing: undefined });
  });

  it('reads every cookie sent, as one list, when the Cookie header comes twice', async () => {
    // Node's client would join them into one line: sent as raw header lines instead.
    const server = createServer((req, res) => {
      res.end(JSON.stringify(nodeRequestHeader(req, 'cookie') ?? null));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const raw = [
        'GET / HTTP/1.1',
        'Host: 127.0.0.1',
        'Cookie: a=1',
        'Cookie: cohorly_anonymous_id=anon-c',
        'Connection: close',
        '',
        '',
      ].join('\r\n');
      const socket = connect(port, '127.0.0.1');
      socket.end(raw);
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      await once(socket, 'close');
      expect(answer.split('\r\n\r\n')[1]).toBe('"a=1; cohorly_anonymous_id=anon-c"');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('falls back to the joined value for a request without headersDistinct', () => {
    const req = { headers: { 'x-cohorly-anonymous-id': 'anon-a, anon-b' } };
    expect(nodeRequestHeader(req, 'x-cohorly-anonymous-id')).toBe('anon-a, anon-b');
    expect(nodeRequestHeader({ headers: { 'set-cookie': ['a=1', 'b=2'] } }, 'Set-Cookie')).toBe(
      'a=1',
    );
  });
});
