import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the server answers one request. */
export type Reply =
  | { status: number; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true };

/** One event as it arrived in a `/track` request. */
export interface ArrivedEvent {
  insertId: string;
  distinctId: string;
  event: string;
  properties: Record<string, unknown>;
}

/** One request, what it carried and how it was answered. */
export interface AnsweredRequest {
  path: string;
  events: ArrivedEvent[];
  answer: number | 'reset' | 'hang';
}

/**
 * A loopback ingest server that can be stopped (the port then refuses connections, as a
 * Cohorly server that is down) and started again on the same port. Core cannot use
 * @cohorly/testing, which depends on core; this is the least it needs of it.
 */
export interface RestartableServer {
  url: string;
  requests: AnsweredRequest[];
  /** Events of the `/track` requests answered 200, in arrival order, duplicates kept. */
  accepted(): ArrivedEvent[];
  /** Answers the next requests with these replies, in order, then 200 again. */
  script(...replies: Reply[]): void;
  /** Stops listening and drops every connection: the port refuses connections. */
  stop(): Promise<void>;
  /** Listens again, on the same port. */
  start(): Promise<void>;
}

function eventsOf(path: string, body: string): ArrivedEvent[] {
  if (path !== '/track') return [];
  const parsed: unknown = JSON.parse(body);
  const items = (Array.isArray(parsed) ? parsed : [parsed]) as {
    event: string;
    properties: Record<string, unknown>;
  }[];
  return items.map((item) => ({
    insertId: String(item.properties.$insert_id),
    distinctId: String(item.properties.distinct_id),
    event: item.event,
    properties: item.properties,
  }));
}

/** Starts the server on 127.0.0.1, on a free port. */
export async function startRestartableServer(): Promise<RestartableServer> {
  const requests: AnsweredRequest[] = [];
  let scripted: Reply[] = [];
  const sockets = new Set<Socket>();

  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = req.url ?? '';
    const reply = scripted.shift() ?? { status: 200 };
    const entry: AnsweredRequest = { path, events: eventsOf(path, body), answer: 200 };
    requests.push(entry);
    if ('hang' in reply) {
      // Never answered: the client's request timeout (or the server stopping) ends it.
      entry.answer = 'hang';
      return;
    }
    if ('reset' in reply) {
      entry.answer = 'reset';
      req.socket.destroy();
      return;
    }
    entry.answer = reply.status;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.status === 200 ? '{"status":1}' : '{"error":"injected fault"}');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted: () =>
      requests.filter((r) => r.path === '/track' && r.answer === 200).flatMap((r) => r.events),
    script: (...replies) => {
      scripted = replies;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
    start: () => listen(port),
  };
}
