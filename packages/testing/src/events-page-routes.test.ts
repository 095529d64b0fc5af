import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { post, trackBody } from './http-test-helpers.js';
import { startTestServer, type TestServer } from './test-server.js';

let server: TestServer | undefined;

async function start(): Promise<TestServer> {
  server = await startTestServer();
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function getJson(url: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

describe('GET /', () => {
  it('serves one self-contained HTML page, locked down by its Content-Security-Policy', async () => {
    const s = await start();
    const response = await fetch(`${s.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(html));

    // Works offline: no external script, stylesheet, font, image or import.
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*stylesheet|@import|@font-face|url\(/i);
    const references = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(references.every((reference) => reference?.startsWith('data:'))).toBe(true);

    // The policy allows exactly the inline script and style it carries, and nothing else.
    const csp = response.headers.get('content-security-policy') ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${hash(script)}`,
      `style-src ${hash(style)}`,
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    // Data only ever reaches the page as text.
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('answers HEAD without a body, 405 to other methods, and stays out of requests()', async () => {
    const s = await start();
    const head = await fetch(`${s.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await head.text()).toBe('');
    expect(await post(s.url, '/', {})).toMatchObject({
      status: 405,
      body: { error: 'method POST not allowed; use GET or HEAD' },
    });
    await fetch(`${s.url}/api/events`);
    expect(s.requests()).toEqual([]);
    // Other paths are still the Cohorly server's 404, and logged.
    expect((await fetch(`${s.url}/index.html`)).status).toBe(404);
    expect(s.requests().map((request) => request.path)).toEqual(['/index.html']);
  });
});

describe('GET /api/events', () => {
  it('answers the stored events newest first, without the project token', async () => {
    const s = await start();
    await post(s.url, '/track', [trackBody('A', 'u1', { plan: 'pro' }), trackBody('B', 'u2')]);
    const { status, body, headers } = await getJson(`${s.url}/api/events`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('cache-control')).toBe('no-store');
    const [a, b] = s.events();
    expect(body).toEqual({
      total: 2,
      events: [
        {
          id: 2,
          event: 'B',
          distinctId: 'u2',
          receivedAt: b?.receivedAt,
          insertId: b?.insertId,
          properties: b?.properties,
          meta: {},
        },
        {
          id: 1,
          event: 'A',
          distinctId: 'u1',
          receivedAt: a?.receivedAt,
          insertId: a?.insertId,
          properties: a?.properties,
          meta: {},
        },
      ],
    });
    expect(JSON.stringify(body)).not.toContain('"token"');
  });

  it('answers at most the 500 most recent events, or ?limit= of them', async () => {
    const s = await start();
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => trackBody('Step', 'u1', { i: from + i }));
    await post(s.url, '/track', batch(0, 500));
    await post(s.url, '/track', batch(500, 2));
    const all = await getJson(`${s.url}/api/events`);
    expect(all.body.total).toBe(502);
    expect(all.body.events).toHaveLength(500);
    expect(all.body.events[0].properties.i).toBe(501);
    expect(all.body.events[499].properties.i).toBe(2);
    const few = await getJson(`${s.url}/api/events?limit=3`);
    expect(few.body.events.map((event: any) => event.properties.i)).toEqual([501, 500, 499]);
  });

  it('filters by ?event= and ?distinct_id= as server.events() does, aliases included', async () => {
    const s = await start();
    await post(s.url, '/track', [trackBody('A', 'u1'), trackBody('B', 'u1'), trackBody('A', 'u2')]);
    await post(s.url, '/alias', { alias: 'u3', distinct_id: 'u1', token: 'T' });
    await post(s.url, '/track', trackBody('A', 'u3'));
    const ids = async (query: string) =>
      (await getJson(`${s.url}/api/events${query}`)).body.events.map(
        (event: any) => `${event.event}:${event.distinctId}`,
      );
    expect(await ids('?event=A')).toEqual(['A:u3', 'A:u2', 'A:u1']);
    expect(await ids('?distinct_id=u1')).toEqual(['A:u3', 'B:u1', 'A:u1']);
    expect(await ids('?event=A&distinct_id=u2')).toEqual(['A:u2']);
    // An empty field, as a form sends it, is no filter.
    expect(await ids('?event=&distinct_id=')).toHaveLength(4);
    expect((await getJson(`${s.url}/api/events?event=A`)).body.total).toBe(4);
  });

  it('answers 400 to a bad limit or a repeated filter', async () => {
    const s = await start();
    for (const limit of ['0', '501', 'abc', '1.5', '-1']) {
      const { status, body } = await getJson(`${s.url}/api/events?limit=${limit}`);
      expect(status).toBe(400);
      expect(body.error).toBe(`limit must be an integer 1-500, got "${limit}"`);
    }
    const repeated = await getJson(`${s.url}/api/events?distinct_id=a&distinct_id=b`);
    expect(repeated).toMatchObject({
      status: 400,
      body: { error: 'give distinct_id at most once' },
    });
  });
});
