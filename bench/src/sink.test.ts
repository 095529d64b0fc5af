import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { formatOf, type Sink, startSink } from './sink.js';

let sink: Sink;
beforeEach(async () => {
  sink = await startSink();
});
afterEach(async () => {
  await sink.close();
});

const post = (
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
) => fetch(`${sink.url}${path}`, { method: 'POST', body, headers });

it('tells the four formats apart by method and path', () => {
  expect(formatOf('POST', '/track')).toBe('cohorly');
  expect(formatOf('POST', '/track?ip=0&verbose=0')).toBe('mixpanel');
  expect(formatOf('GET', '/track?ip=0&verbose=0&data=e30')).toBe('mixpanel');
  expect(formatOf('POST', '/batch/')).toBe('posthog');
  expect(formatOf('POST', '/v1/batch')).toBe('segment');
  expect(formatOf('POST', '/engage')).toBeUndefined();
});

it('counts events of every format, deduplicated by each SDK’s own id', async () => {
  const cohorly = (id: string) => ({ event: 'E', properties: { $insert_id: id } });
  expect((await post('/track', JSON.stringify([cohorly('a'), cohorly('b')]))).status).toBe(200);
  expect((await post('/track', JSON.stringify(cohorly('a')))).status).toBe(200);
  const posthog = JSON.stringify({ api_key: 'k', batch: [{ uuid: 'p1' }, { uuid: 'p2' }] });
  await post('/batch/', new Uint8Array(gzipSync(posthog)), { 'content-encoding': 'gzip' });
  await post('/v1/batch', JSON.stringify({ batch: [{ messageId: 's1' }, { messageId: 's1' }] }));
  const mixpanel = (id: string) => ({ event: 'E', properties: { $insert_id: id } });
  const get = Buffer.from(JSON.stringify(mixpanel('m1'))).toString('base64');
  const answer = await fetch(`${sink.url}/track?ip=0&verbose=0&data=${encodeURIComponent(get)}`);
  expect(await answer.text()).toBe('1');
  const form = Buffer.from(JSON.stringify([mixpanel('m2'), mixpanel('m3')])).toString('base64');
  await post('/track?ip=0&verbose=0', `data=${form}`);

  expect(sink.counts()).toMatchObject({
    requests: 6,
    acceptedRequests: 6,
    events: 10,
    delivered: 8,
    duplicates: 2,
    byFormat: { cohorly: 3, posthog: 2, segment: 2, mixpanel: 3 },
    badRequests: 0,
  });
});

it('answers 503 during an outage and counts nothing it rejected', async () => {
  sink.failUntil(Number.POSITIVE_INFINITY);
  expect((await post('/track', '[]')).status).toBe(503);
  sink.failUntil(0);
  expect((await post('/track', JSON.stringify([{ properties: { $insert_id: 'x' } }]))).status).toBe(
    200,
  );
  expect(sink.counts()).toMatchObject({ requests: 2, rejectedRequests: 1, delivered: 1 });
  sink.reset();
  expect(sink.counts()).toMatchObject({ requests: 0, delivered: 0 });
});

it('rejects the first request of an outage that ended before any request came', async () => {
  // A starved child sends its first request after the outage's end: it still meets it.
  sink.failUntil(Date.now() - 1);
  expect((await post('/track', '[]')).status).toBe(503);
  expect((await post('/track', '[]')).status).toBe(200);
  // Moving the end of an outage under way does not owe another rejection.
  sink.failUntil(Date.now() - 1);
  expect((await post('/track', '[]')).status).toBe(200);
  expect(sink.counts()).toMatchObject({ requests: 3, rejectedRequests: 1 });
});
