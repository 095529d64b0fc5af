import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventMatcher } from './event-query.js';
import type { StoredEvent } from './event-store.js';
import type { EventStream } from './event-stream.js';
import { type EventViews, MAX_SNAPSHOT_EVENTS } from './event-views.js';
import { EVENTS_PAGE_CSP, EVENTS_PAGE_HTML } from './events-page.html.js';
import type { IdentityMap } from './identity-map.js';
import { send } from './send.js';

/** What the events page and its API read from. */
export interface EventsPageContext {
  /** Views and snapshots of stored events. */
  views: EventViews;
  /** The server-sent events fan-out. */
  stream: EventStream;
  /** Aliases, so `distinct_id=` finds the events of linked ids as `server.events()` does. */
  identities: IdentityMap;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

/**
 * Serves the live events page (`GET /`), its snapshot (`GET /api/events`) and its stream
 * (`GET /api/stream`). Both API routes take `event` and `distinct_id` filters (exact, as in
 * `server.events()`); `/api/events` also takes `limit` (1-500, default 500).
 * @returns false when the path is none of these, for the Cohorly endpoints to answer.
 */
export function handleEventsPageRequest(
  context: EventsPageContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): boolean {
  const method = request.method ?? 'GET';
  switch (url.pathname) {
    case '/':
      if (allowed(method, ['GET', 'HEAD'], response)) servePage(response);
      return true;
    case '/api/events':
      if (allowed(method, ['GET', 'HEAD'], response)) serveSnapshot(context, url, response);
      return true;
    case '/api/stream':
      if (allowed(method, ['GET'], response)) {
        const filter = parseFilter(context, url, response);
        if (filter !== undefined) context.stream.attach(response, filter);
      }
      return true;
    default:
      return false;
  }
}

function allowed(method: string, methods: string[], response: ServerResponse): boolean {
  if (methods.includes(method)) return true;
  const error = `method ${method} not allowed; use ${methods.join(' or ')}`;
  send(response, 405, { error }, { Allow: methods.join(', ') });
  return false;
}

function servePage(response: ServerResponse): void {
  response.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(EVENTS_PAGE_HTML),
    'Content-Security-Policy': EVENTS_PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...NO_STORE,
  });
  response.end(EVENTS_PAGE_HTML);
}

function serveSnapshot(context: EventsPageContext, url: URL, response: ServerResponse): void {
  const filter = parseFilter(context, url, response);
  if (filter === undefined) return;
  const limitParam = url.searchParams.get('limit');
  const limit = limitParam === null || limitParam === '' ? MAX_SNAPSHOT_EVENTS : Number(limitParam);
  if (!/^\d*$/.test(limitParam ?? '') || limit < 1 || limit > MAX_SNAPSHOT_EVENTS) {
    const error = `limit must be an integer 1-${MAX_SNAPSHOT_EVENTS}, got ${JSON.stringify(limitParam)}`;
    send(response, 400, { error }, NO_STORE);
    return;
  }
  send(response, 200, context.views.snapshot(filter, limit), NO_STORE);
}

/**
 * The `event` and `distinct_id` query parameters as a predicate (an empty value is no filter,
 * as an empty form field sends); answers 400 and returns undefined when one is repeated.
 */
function parseFilter(
  context: EventsPageContext,
  url: URL,
  response: ServerResponse,
): ((event: StoredEvent) => boolean) | undefined {
  const values: Record<string, string | undefined> = {};
  for (const name of ['event', 'distinct_id']) {
    const all = url.searchParams.getAll(name);
    if (all.length > 1) {
      send(response, 400, { error: `give ${name} at most once` }, NO_STORE);
      return undefined;
    }
    values[name] = all[0] === '' ? undefined : all[0];
  }
  return eventMatcher<StoredEvent>(
    { event: values.event, distinctId: values.distinct_id },
    context.identities,
  );
}
