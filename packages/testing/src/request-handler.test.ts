import { request as httpRequest } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { useTestServers } from '../test/use-test-servers.js';
import { post, trackBody } from './http-test-helpers.js';

const start = useTestServers();

describe('body cap', () => {
  it('answers 413 to a body over a configured cap, and 200 to one at the cap', async () => {
    const s = await start({ maxBodyBytes: 300 });
    const event = trackBody('A', 'u1');
    const base = JSON.stringify(event);
    const exact = JSON.stringify({ ...event, pad: 'x'.repeat(300 - base.length - 9) });
    expect(Buffer.byteLength(exact)).toBe(300);
    expect((await post(s.url, '/track', exact)).status).toBe(200);
    const over = `${exact} `;
    expect(await post(s.url, '/track', over)).toMatchObject({
      status: 413,
      body: { error: 'body is over the limit of 300 bytes' },
    });
    expect(s.events()).toHaveLength(1);
    // fetch declared the length: the server answered before reading any of the body.
    expect(s.requests()[1]).toMatchObject({ status: 413, bodyTruncated: true, body: '' });
  });

  it('answers 413 to a 1 MiB + 1 body by default, before the client finished sending', async () => {
    const s = await start();
    const body = `[${JSON.stringify(trackBody('A', 'u1'))}${' '.repeat(1024 * 1024)}]`;
    const answer = await post(s.url, '/track', body);
    expect(answer.status).toBe(413);
    expect(answer.headers.get('connection')).toBe('close');
    expect(s.events()).toEqual([]);
  });

  it('stops reading a 50 MB chunked upload at the cap and still answers 413', async () => {
    const s = await start({ maxBodyBytes: 1024 });
    const chunk = new TextEncoder().encode('x'.repeat(1_000_000));
    let sent = 0;
    // A stream has no Content-Length, so the server can only count bytes as they come.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 50) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await fetch(`${s.url}/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    await response.text();
    expect(s.requests()[0]).toMatchObject({ status: 413, bodyTruncated: true });
    expect(s.requests()[0]?.body).toBe('x'.repeat(1024));
  });

  it('answers 413 from Content-Length alone', async () => {
    const s = await start({ maxBodyBytes: 10 });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${s.url}/track`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      // Headers only: the server must answer without waiting for the promised body.
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });
});

describe('routing', () => {
  it('answers 404 to an unknown path and 405 to a method other than POST', async () => {
    const s = await start();
    expect(await post(s.url, '/import', trackBody('A', 'u'))).toMatchObject({ status: 404 });
    const get = await fetch(`${s.url}/track`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.text();
    const put = await fetch(`${s.url}/engage`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    await put.text();
  });

  it('routes on the path and ignores a query string', async () => {
    const s = await start();
    expect((await post(s.url, '/track?verbose=1', trackBody('A', 'u'))).status).toBe(200);
    expect(s.requests()[0]).toMatchObject({ path: '/track', url: '/track?verbose=1' });
  });
});

describe('request log', () => {
  it('logs every request with its method, headers, body, JSON and status', async () => {
    let now = 1_000;
    const s = await start({ clock: () => now });
    await post(s.url, '/track', trackBody('A', 'u1'));
    now = 2_000;
    await post(s.url, '/track', 'not json');
    await fetch(`${s.url}/nowhere`).then((r) => r.text());
    const [ok, bad, missing] = s.requests();
    expect(ok).toMatchObject({
      method: 'POST',
      path: '/track',
      status: 200,
      json: trackBody('A', 'u1'),
      body: JSON.stringify(trackBody('A', 'u1')),
      receivedAt: 1_000,
      fault: undefined,
    });
    expect(ok?.headers['content-type']).toBe('application/json');
    expect(bad).toMatchObject({
      status: 400,
      body: 'not json',
      json: undefined,
      receivedAt: 2_000,
    });
    expect(missing).toMatchObject({ method: 'GET', path: '/nowhere', status: 404 });
    expect(s.events()[0]?.receivedAt).toBe(1_000);
  });
});

/** A POST whose body is still being sent: its headers and `first` are on the wire. */
interface Upload {
  /** Sends the rest of the body; resolves with the status answered. */
  finish(rest: string): Promise<number | undefined>;
  /** The client goes away before the body ends. */
  abort(): void;
}

function startUpload(url: string, path: string, first: string): Upload {
  const request = httpRequest(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    agent: false,
  });
  const answered = new Promise<number | undefined>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
  });
  // Chunked: the server sees the headers and this part, and waits for the rest.
  request.write(first);
  return {
    finish(rest) {
      request.end(rest);
      return answered;
    },
    abort() {
      answered.catch(() => undefined);
      request.destroy();
    },
  };
}

describe('arrival order', () => {
  it('hands out fault steps in the order requests arrive, not the order their bodies end', async () => {
    let now = 1_000;
    const s = await start({ clock: () => now });
    s.faults.next('/track', [{ status: 503 }, { status: 200 }]);
    const body = JSON.stringify(trackBody('A', 'u1'));
    const slow = startUpload(s.url, '/track', body.slice(0, 10));
    // A has arrived, its body not: it has taken the first step already.
    await vi.waitUntil(() => s.faults.pending('/track') === 1);
    expect(s.requests()).toMatchObject([
      { path: '/track', status: null, fault: 'scripted', body: '', json: undefined },
    ]);
    now = 2_000;
    expect((await post(s.url, '/track', trackBody('B', 'u1'))).status).toBe(200);
    expect(await slow.finish(body.slice(10))).toBe(503);
    expect(
      s.requests().map((r) => [(r.json as { event: string }).event, r.status, r.receivedAt]),
    ).toEqual([
      ['A', 503, 1_000],
      ['B', 200, 2_000],
    ]);
    expect(s.events().map((event) => event.event)).toEqual(['B']);
  });

  it('gives a step scripted while a request is on its way to the next request, not to it', async () => {
    const s = await start();
    const body = JSON.stringify(trackBody('A', 'u1'));
    const slow = startUpload(s.url, '/track', body.slice(0, 10));
    await vi.waitUntil(() => s.requests().length === 1);
    s.faults.next('/track', { status: 503 });
    expect((await post(s.url, '/track', trackBody('B', 'u1'))).status).toBe(503);
    expect(await slow.finish(body.slice(10))).toBe(200);
    expect(s.requests().map((r) => [r.status, r.fault])).toEqual([
      [200, undefined],
      [503, 'scripted'],
    ]);
  });

  it('a request whose client leaves during its body uses up its step, logged unanswered', async () => {
    const s = await start();
    s.faults.next('/track', { status: 503 });
    const part = JSON.stringify(trackBody('A', 'u1')).slice(0, 10);
    const slow = startUpload(s.url, '/track', part);
    await vi.waitUntil(() => s.faults.pending() === 0);
    slow.abort();
    // The part that did come in is filled in once the server sees the client go.
    await vi.waitUntil(() => s.requests()[0]?.body === part);
    expect(s.requests()[0]).toMatchObject({ status: null, fault: 'scripted', json: undefined });
    expect((await post(s.url, '/track', trackBody('B', 'u1'))).status).toBe(200);
    expect(s.events().map((event) => event.event)).toEqual(['B']);
  });
});

describe('request targets', () => {
  it('answers POST //track 404 with a hint, and logs it, instead of the events page 405', async () => {
    const s = await start();
    expect(await post(s.url, '//track', trackBody('A', 'u1'))).toMatchObject({
      status: 404,
      body: {
        error:
          'no such endpoint: //track (did you mean /track? check that the base URL has no trailing /)',
      },
    });
    expect(await post(s.url, '/tracks', trackBody('A', 'u1'))).toMatchObject({
      status: 404,
      body: { error: 'no such endpoint: /tracks' },
    });
    expect(s.requests().map((r) => [r.url, r.path, r.status])).toEqual([
      ['//track', '//track', 404],
      ['/tracks', '/tracks', 404],
    ]);
    expect(s.events()).toEqual([]);
  });

  it('reads a target in absolute form (as sent to a proxy) by its path', async () => {
    const s = await start();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: 'http://example.com/track',
        headers: { 'Content-Type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end(JSON.stringify(trackBody('A', 'u1')));
    });
    expect(status).toBe(200);
    expect(s.requests()[0]).toMatchObject({ url: 'http://example.com/track', path: '/track' });
  });
});
