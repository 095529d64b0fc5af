import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** The wire formats the sink understands, one per SDK family. */
export type WireFormat = 'cohorly' | 'posthog' | 'segment' | 'mixpanel';

/** What the sink counted since the last `reset()`. */
export interface SinkCounts {
  /** Every request received, whatever the answer. */
  requests: number;
  /** Requests answered 2xx, whose events count as delivered. */
  acceptedRequests: number;
  /** Requests answered 503 (outage). */
  rejectedRequests: number;
  /** Requests the sink could not read: an unknown path (answered 404) or a body it could not parse. */
  badRequests: number;
  /** Events in accepted requests, duplicates included. */
  events: number;
  /** Distinct message ids among them (each SDK's own id: see `messageId`). */
  delivered: number;
  /** `events - delivered`: the same message accepted more than once. */
  duplicates: number;
  /** Events seen per format (to check each SDK used the format it should). */
  byFormat: Record<WireFormat, number>;
  /** Request body bytes as received (compressed when the SDK compressed). */
  bytes: number;
  /** Epoch ms (fractional) when the first / last accepted request arrived; 0 when none. */
  firstAcceptedAt: number;
  lastAcceptedAt: number;
}

/** A loopback HTTP server that accepts the batch formats of Cohorly and its three peers. */
export interface Sink {
  url: string;
  counts(): SinkCounts;
  /** Forgets everything counted (between runs). */
  reset(): void;
  /**
   * Answers 503 to every request until `epochMs` (Infinity: until changed; 0: not at all), and
   * in any case to the first request of the outage, so that a child the machine starved until
   * after `epochMs` still meets it.
   */
  failUntil(epochMs: number): void;
  close(): Promise<void>;
}

const OK_BODY: Record<WireFormat, string> = {
  cohorly: '{"status":1}',
  posthog: '{"status":"Ok"}',
  segment: '{"success":true}',
  // mixpanel-node (verbose off) treats any body but "1" as an error.
  mixpanel: '1',
};

const now = () => performance.timeOrigin + performance.now();

function emptyCounts(): SinkCounts {
  return {
    requests: 0,
    acceptedRequests: 0,
    rejectedRequests: 0,
    badRequests: 0,
    events: 0,
    delivered: 0,
    duplicates: 0,
    byFormat: { cohorly: 0, posthog: 0, segment: 0, mixpanel: 0 },
    bytes: 0,
    firstAcceptedAt: 0,
    lastAcceptedAt: 0,
  };
}

/** Which SDK sent this request, from its method and path. */
export function formatOf(method: string | undefined, url: string): WireFormat | undefined {
  const [path, query] = url.split('?', 2);
  if (path === '/batch/' || path === '/batch') return 'posthog';
  if (path === '/v1/batch') return 'segment';
  // mixpanel-node always adds `?ip=0&verbose=0`; Cohorly posts to a bare /track.
  if (path === '/track' && query !== undefined) return 'mixpanel';
  if (path === '/track' && method === 'POST') return 'cohorly';
  return undefined;
}

function decodeMixpanel(method: string | undefined, url: string, body: string): unknown {
  // GET /track?data=<urlencoded base64>; POST /track with the form body `data=<base64>`.
  const data =
    method === 'GET'
      ? new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('data')
      : body.startsWith('data=')
        ? decodeURIComponent(body.slice(5).replace(/\+/g, '%2B'))
        : body;
  if (data === null) throw new Error('no data parameter');
  const text =
    data.trimStart().startsWith('{') || data.trimStart().startsWith('[')
      ? data
      : Buffer.from(data, 'base64').toString('utf8');
  return JSON.parse(text);
}

/** The events of one request body, as plain objects. */
export function eventsOf(
  format: WireFormat,
  method: string | undefined,
  url: string,
  body: Buffer,
  gzip: boolean,
): Record<string, any>[] {
  const raw = gzip ? gunzipSync(body) : body;
  const text = raw.toString('utf8');
  const parsed: any = format === 'mixpanel' ? decodeMixpanel(method, url, text) : JSON.parse(text);
  if (format === 'posthog' || format === 'segment') return parsed.batch;
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** Each SDK's own message id: what its server deduplicates by. */
export function messageId(format: WireFormat, event: Record<string, any>): string | undefined {
  switch (format) {
    case 'posthog':
      return event.uuid;
    case 'segment':
      return event.messageId;
    default:
      // Cohorly stamps `$insert_id`; for mixpanel-node, which has no id of its own, the
      // bench sets the `$insert_id` property Mixpanel's server deduplicates by.
      return event.properties?.$insert_id;
  }
}

/** Starts the sink on 127.0.0.1, on a free port. */
export async function startSink(): Promise<Sink> {
  let counts = emptyCounts();
  let ids = new Set<string>();
  let failingUntil = 0;
  /** The outage has not rejected a request yet. */
  let owesRejection = false;
  const sockets = new Set<Socket>();

  /** Accepted bodies not counted yet: counting waits until someone asks, off the SDK's path. */
  let unread: {
    format: WireFormat;
    method: string | undefined;
    url: string;
    body: Buffer;
    gzip: boolean;
  }[] = [];

  const count = (request: (typeof unread)[number]) => {
    let events: Record<string, any>[];
    try {
      events = eventsOf(request.format, request.method, request.url, request.body, request.gzip);
      if (!Array.isArray(events)) throw new Error('no events in the body');
    } catch {
      counts.badRequests += 1;
      return;
    }
    counts.events += events.length;
    counts.byFormat[request.format] += events.length;
    for (const event of events) {
      const id = messageId(request.format, event);
      // An event without an id cannot be deduplicated; count it as its own message.
      ids.add(id ?? `no-id-${counts.events}-${ids.size}`);
    }
    counts.delivered = ids.size;
    counts.duplicates = counts.events - counts.delivered;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = req.url ?? '';
    const arrivedAt = now();
    counts.requests += 1;
    counts.bytes += body.length;
    if (arrivedAt < failingUntil || owesRejection) {
      owesRejection = false;
      counts.rejectedRequests += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('outage');
      return;
    }
    const format = formatOf(req.method, url);
    if (!format) {
      counts.badRequests += 1;
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`unknown endpoint ${req.method} ${url}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(OK_BODY[format]);
    counts.acceptedRequests += 1;
    if (counts.firstAcceptedAt === 0) counts.firstAcceptedAt = arrivedAt;
    counts.lastAcceptedAt = arrivedAt;
    unread.push({
      format,
      method: req.method,
      url,
      body,
      gzip: req.headers['content-encoding'] === 'gzip',
    });
  };

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => {
      for (const request of unread) count(request);
      unread = [];
      return { ...counts, byFormat: { ...counts.byFormat } };
    },
    reset: () => {
      counts = emptyCounts();
      ids = new Set();
      unread = [];
      failingUntil = 0;
      owesRejection = false;
    },
    failUntil: (epochMs) => {
      // Moving the end of an outage already under way owes nothing new.
      if (failingUntil === 0 && epochMs > 0) owesRejection = true;
      if (epochMs === 0) owesRejection = false;
      failingUntil = epochMs;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
