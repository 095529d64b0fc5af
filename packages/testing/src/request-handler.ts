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
  /** The body as text (up to `maxBodyBytes`). */
  body: string;
  /** True when the body passed `maxBodyBytes` and was cut there. */
  bodyTruncated: boolean;
  /** The body parsed as JSON; `undefined` when it is not JSON. */
  json: unknown;
  /**
   * The status answered; `null` while the answer is pending, and when none was sent (a `drop`
   * fault, or the client left first).
   */
  status: number | null;
  /** The fault that decided the answer, if one did. */
  fault: FaultSource | undefined;
  /** When the body had arrived, by the server's clock (epoch milliseconds). */
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
  const url = new URL(target, 'http://test-server');
  // The page and its API are for people watching, not what an SDK sent: they stay out of the
  // request log and out of reach of fault scripts.
  if (handleEventsPageRequest(context.page, request, response, url)) return;
  const path = url.pathname;
  const body = await readBody(request, maxBodyBytes);
  const tooLarge = body.kind === 'too-large';
  const parsed = parseBody(body.bytes);
  const entry: RecordedRequest = {
    method: request.method ?? 'GET',
    path,
    url: target,
    headers: request.headers,
    body: parsed.text,
    bodyTruncated: tooLarge,
    json: tooLarge ? undefined : parsed.json,
    status: null,
    fault: undefined,
    receivedAt: backend.clock(),
  };
  log.push(entry);
  if (body.kind === 'aborted') return;
  // The rest of an over-cap body is never read: close the connection once answered.
  const closing: Record<string, string> = tooLarge ? { Connection: 'close' } : {};

  const kind = ROUTES[path];
  if (kind === undefined) {
    entry.status = send(response, 404, { error: `no such endpoint: ${path}` }, closing);
    return;
  }
  if (entry.method !== 'POST') {
    const error = `method ${entry.method} not allowed on ${path}; use POST`;
    entry.status = send(response, 405, { error }, { ...closing, Allow: 'POST' });
    return;
  }
  const fault = faults.take(path as '/track' | '/engage' | '/alias');
  const step: FaultStep = fault?.step ?? {};
  entry.fault = fault?.source;
  const own: Answer | undefined = !stepStores(step)
    ? undefined
    : tooLarge
      ? { status: 413, body: { error: `body is over the limit of ${maxBodyBytes} bytes` } }
      : ingest(backend, kind, request.headers['content-type'], parsed);
  if (step.delayMs !== undefined && step.delayMs > 0) await delay(step.delayMs, response);
  // The client gave up during the delay (or the server is closing): nobody to answer.
  if (response.destroyed || response.socket === null || response.socket.destroyed) return;
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

/** The body of a scripted status when the step gives none. */
function scriptedBody(status: number): Record<string, unknown> {
  return status >= 200 && status < 300 ? { status: 1 } : { error: 'injected fault' };
}

/** Waits `ms`, or less when the connection closes first (client gone, or server closing). */
function delay(ms: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      response.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    response.on('close', done);
  });
}
