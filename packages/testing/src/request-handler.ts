import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type Answer, type BackendParts, ingest } from './cohorly-backend.js';
import {
  type FaultInjector,
  type FaultSource,
  type FaultStep,
  stepStores,
} from './fault-injector.js';
import { type EventsPageContext, handleEventsPageRequest } from './events-page-routes.js';
import type { MessageKind } from './message-validation.js';
import { parseBody } from './parsed-body.js';
import { readBody } from './request-body.js';
import { send } from './send.js';

/** One request as the server received and answered it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The request target as received, query string included. */
  url: string;
  /** Request headers, names in lower case. */
  headers: IncomingHttpHeaders;
  /** The body as text (up to `maxBodyBytes`); `''` until the body has been read. */
  body: string;
  /** True when the body passed `maxBodyBytes` and was cut there. */
  bodyTruncated: boolean;
  /** The body parsed as JSON; `undefined` when it is not JSON, or not read yet. */
  json: unknown;
  /**
   * The status answered; `null` while the answer is pending, and when none was sent (a `drop`
   * fault, or the client left first).
   */
  status: number | null;
  /** The fault that decided the answer, if one did. */
  fault: FaultSource | undefined;
  /**
   * When the request arrived (its headers, before its body), by the server's clock (epoch
   * milliseconds). Stored events carry their own `receivedAt`: when they were stored.
   */
  receivedAt: number;
}

/** What the request handler works with. */
export interface HandlerContext {
  /** Validation and storage. */
  backend: BackendParts;
  /** The fault scripts, windows and rate limit. */
  faults: FaultInjector;
  /** The request log, appended to. */
  log: RecordedRequest[];
  /** The body cap in bytes. */
  maxBodyBytes: number;
  /** The live events page and its API. */
  page: EventsPageContext;
}

const ROUTES: Readonly<Record<string, MessageKind>> = {
  '/track': 'events',
  '/engage': 'people',
  '/alias': 'alias',
};

/**
 * Answers one request as the Cohorly server would, unless a fault decides otherwise, and
 * records it in the log; the events page's own routes are answered without either.
 */
export async function handleRequest(
  context: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { backend, faults, log, maxBodyBytes } = context;
  const target = request.url ?? '/';
  const url = targetUrl(target);
  // The page and its API are for people watching, not what an SDK sent: they stay out of the
  // request log and out of reach of fault scripts.
  if (handleEventsPageRequest(context.page, request, response, url)) return;
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const kind = ROUTES[path];
  // The request is logged, and takes its fault step, as it arrives: a body can take a while
  // to come in, and steps handed out as bodies end would go to whichever upload finished
  // first, so a request already on its way when a test scripts "the next request" would take
  // that step, and requests() would list requests in the order their bodies ended.
  const entry: RecordedRequest = {
    method,
    path,
    url: target,
    headers: request.headers,
    body: '',
    bodyTruncated: false,
    json: undefined,
    status: null,
    fault: undefined,
    receivedAt: backend.clock(),
  };
  log.push(entry);
  const fault =
    kind !== undefined && method === 'POST'
      ? faults.take(path as '/track' | '/engage' | '/alias')
      : undefined;
  entry.fault = fault?.source;

  const body = await readBody(request, maxBodyBytes);
  const tooLarge = body.kind === 'too-large';
  const parsed = parseBody(body.bytes);
  entry.body = parsed.text;
  entry.bodyTruncated = tooLarge;
  entry.json = tooLarge ? undefined : parsed.json;
  if (body.kind === 'aborted') return;
  // The rest of an over-cap body is never read: close the connection once answered.
  const closing: Record<string, string> = tooLarge ? { Connection: 'close' } : {};

  if (kind === undefined) {
    entry.status = send(response, 404, { error: notFound(path) }, closing);
    return;
  }
  if (method !== 'POST') {
    const error = `method ${method} not allowed on ${path}; use POST`;
    entry.status = send(response, 405, { error }, { ...closing, Allow: 'POST' });
    return;
  }
  const step: FaultStep = fault?.step ?? {};
  const own: Answer | undefined = !stepStores(step)
    ? undefined
    : tooLarge
      ? { status: 413, body: { error: `body is over the limit of ${maxBodyBytes} bytes` } }
      : ingest(backend, kind, request.headers['content-type'], parsed);
  if (step.delayMs !== undefined && step.delayMs > 0) await delay(step.delayMs, response);
  // The client gave up during the delay (or the server is closing): nobody to answer.
  if (clientGone(response)) return;
  if (step.drop === true) {
    response.socket?.destroy();
    return;
  }
  // A step that skips storing without scripting a status answers as if all went well.
  const base = own ?? { status: 200, body: { status: 1 } };
  const status = step.status ?? base.status;
  const answer = step.body ?? (step.status === undefined ? base.body : scriptedBody(step.status));
  entry.status = send(response, status, answer, { ...closing, ...step.headers });
}

/**
 * The request target as a URL. A target in origin form (`/track?x=1`, what clients send) is
 * read as a path: resolved against a base, `//track` would name the host `track` and the
 * path `/`, and be answered by the events page instead of logged. A target in absolute form
 * (`http://host/track`, as sent to a proxy) is a URL already.
 */
function targetUrl(target: string): URL {
  return target.startsWith('/')
    ? new URL(`http://test-server${target}`)
    : new URL(target, 'http://test-server');
}

/**
 * The 404 message. Paths are matched exactly: the contract names `/track`, `/engage` and
 * `/alias`, not `//track`. A doubled slash usually comes from a base URL that ends with `/`,
 * so the message says so.
 */
function notFound(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  const meant = collapsed !== path && ROUTES[collapsed] !== undefined;
  const hint = meant
    ? ` (did you mean ${collapsed}? check that the base URL has no trailing /)`
    : '';
  return `no such endpoint: ${path}${hint}`;
}

/** The body of a scripted status when the step gives none. */
function scriptedBody(status: number): Record<string, unknown> {
  return status >= 200 && status < 300 ? { status: 1 } : { error: 'injected fault' };
}

/** Whether the connection of `response` has closed: nobody is left to answer. */
function clientGone(response: ServerResponse): boolean {
  return response.destroyed || response.socket === null || response.socket.destroyed;
}

/** Waits `ms`, or less when the connection closes first (client gone, or server closing). */
function delay(ms: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    // It may have closed already, right after the body: its 'close' will not come again.
    if (clientGone(response)) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      response.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    response.on('close', done);
  });
}
