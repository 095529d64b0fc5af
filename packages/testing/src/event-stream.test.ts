import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_INTERVAL_MS } from './event-stream.js';
import { post, trackBody } from './http-test-helpers.js';
import { openStream, type SseConnection, type SseFrame } from './sse-test-client.js';
import { startTestServer, type TestServer } from './test-server.js';

let server: TestServer | undefined;
const streams: SseConnection[] = [];

async function start(): Promise<TestServer> {
  server = await startTestServer();
  return server;
}

async function open(s: TestServer, query = ''): Promise<SseConnection> {
  const stream = await openStream(`${s.url}/api/stream${query}`);
  streams.push(stream);
  return stream;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const stream of streams.splice(0)) stream.close();
  await server?.close();
  server = undefined;
});

const stored = (frames: SseFrame[]) => frames.filter((frame) => frame.event === 'stored');
const storedNames = (frames: SseFrame[]) =>
  stored(frames).map((frame) => JSON.parse(frame.data ?? '{}').event as string);

describe('GET /api/stream', () => {
  it('answers an event stream that starts with a comment and a retry delay', async () => {
    const s = await start();
    const stream = await open(s);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    await stream.until((frames) => frames.length === 1);
    expect(stream.text()).toBe(': connected\nretry: 2000\n\n');
  });

  it('sends each stored event as one frame: id, event: stored, one data line of JSON', async () => {
    const s = await start();
    const stream = await open(s);
    await post(s.url, '/track', [
      trackBody('Signed Up', 'user-1', { note: 'line one\nline two\r\n' }),
      trackBody('Page Viewed', 'user-2'),
    ]);
    const frames = await stream.until((all) => stored(all).length === 2);
    const [first, second] = stored(frames);
    const [event] = s.events();
    // The stored event's fields, without its token.
    const view = {
      id: 1,
      event: 'Signed Up',
      distinctId: 'user-1',
      receivedAt: event?.receivedAt,
      insertId: event?.insertId,
      properties: event?.properties,
      meta: {},
    };
    expect(event?.properties.note).toBe('line one\nline two\r\n');
    expect(first).toEqual({ comments: [], id: '1', event: 'stored', data: JSON.stringify(view) });
    expect(second).toMatchObject({ id: '2', event: 'stored' });
    // The newlines inside a property are JSON escapes: the frame is exactly three lines.
    const raw = stream.text().split('\n\n')[1] ?? '';
    expect(raw.split('\n').map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'id',
      'event',
      'data',
    ]);
    // The project token is stripped, as in stored events.
    expect(stream.text()).not.toContain('"token"');
  });

  it('sends only the events matching ?event= and ?distinct_id=, aliases included', async () => {
    const s = await start();
    const filtered = await open(s, '?event=A&distinct_id=u1');
    const everything = await open(s, '?event=&distinct_id=');
    await post(s.url, '/track', [trackBody('A', 'u1'), trackBody('B', 'u1'), trackBody('A', 'u2')]);
    await post(s.url, '/alias', { alias: 'u3', distinct_id: 'u1', token: 'T' });
    await post(s.url, '/track', trackBody('A', 'u3', { after: 'alias' }));
    await everything.until((frames) => stored(frames).length === 4);
    const frames = await filtered.until((all) => stored(all).length === 2);
    expect(stored(frames).map((frame) => JSON.parse(frame.data ?? '').distinctId)).toEqual([
      'u1',
      'u3',
    ]);
    expect(storedNames(everything.frames())).toEqual(['A', 'B', 'A', 'A']);
  });

  it('answers 400 to a repeated filter and 405 to another method than GET', async () => {
    const s = await start();
    const repeated = await fetch(`${s.url}/api/stream?event=A&event=B`);
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toEqual({ error: 'give event at most once' });
    const posted = await fetch(`${s.url}/api/stream`, { method: 'POST', body: '{}' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
  });

  it('tells open streams about reset(), and numbers later events on', async () => {
    const s = await start();
    const stream = await open(s);
    await post(s.url, '/track', trackBody('A', 'u1'));
    await stream.until((frames) => stored(frames).length === 1);
    s.reset();
    await post(s.url, '/track', trackBody('B', 'u1'));
    const frames = await stream.until((all) => stored(all).length === 2);
    expect(frames.slice(1).map((frame) => [frame.event, frame.id, frame.data])).toEqual([
      ['stored', '1', expect.any(String)],
      ['reset', undefined, '{}'],
      ['stored', '2', expect.any(String)],
    ]);
  });

  it('sends a heartbeat comment every 15 s, and stops its timer when the last client leaves', async () => {
    const s = await start();
    // Only the heartbeat's interval is faked: sockets and timeouts run for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const first = await open(s);
    const second = await open(s);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS - 1);
    vi.advanceTimersByTime(1);
    const heartbeat = (frame: SseFrame) => frame.comments[0] === 'heartbeat';
    await first.until((frames) => frames.some(heartbeat));
    await second.until((frames) => frames.some(heartbeat));
    expect(first.text()).toBe(': connected\nretry: 2000\n\n: heartbeat\n\n');

    // One client leaving keeps the heartbeat going for the other.
    first.close();
    await first.ended;
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS);
    await second.until((frames) => frames.filter(heartbeat).length === 2);
    expect(vi.getTimerCount()).toBe(1);
    // The server sees the last disconnect a moment later: poll for it, bounded.
    second.close();
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0), { timeout: 5000 });
    // A new client starts the heartbeat again.
    const third = await open(s);
    expect(vi.getTimerCount()).toBe(1);
    third.close();
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0), { timeout: 5000 });
  });

  it('close() ends open streams at once and stops listening', async () => {
    const s = await start();
    const streamA = await open(s);
    const streamB = await open(s, '?event=A');
    await streamA.until((frames) => frames.length === 1);
    await s.close();
    // Both clients see their stream end (no hang until a timeout).
    await Promise.all([streamA.ended, streamB.ended]);
    await expect(fetch(`${s.url}/api/stream`)).rejects.toThrow();
  });
});
