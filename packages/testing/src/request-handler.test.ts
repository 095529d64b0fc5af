import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
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
