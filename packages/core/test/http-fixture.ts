import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the fixture received. */
export interface ReceivedRequest {
  path: string;
  contentType: string | undefined;
  body: string;
}

/** How the fixture answers one request. */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true };

/**
 * A bare HTTP server on 127.0.0.1 that records what it receives and answers from a script
 * (then 200). Core cannot use @cohorly/testing, which depends on core.
 */
export interface HttpFixture {
  url: string;
  requests: ReceivedRequest[];
  /** Bodies received on `path`, parsed. */
  json(path?: string): unknown[];
  /** Answers the next requests with these replies, in order, then 200 again. */
  script(...replies: Reply[]): void;
  /** Answers every request with `reply` until `script`/`always` is called again. */
  always(reply: Reply | undefined): void;
  close(): Promise<void>;
}

export async function startFixture(): Promise<HttpFixture> {
  const requests: ReceivedRequest[] = [];
  let scripted: Reply[] = [];
  let fallback: Reply | undefined;
  const sockets = new Set<Socket>();

  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
    const reply = scripted.shift() ?? fallback ?? { status: 200, body: '{"status":1}' };
    if ('hang' in reply) return;
    if ('reset' in reply) {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body ?? '{}');
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    json: (path) =>
      requests.filter((r) => path === undefined || r.path === path).map((r) => JSON.parse(r.body)),
    script: (...replies) => {
      scripted = replies;
    },
    always: (reply) => {
      scripted = [];
      fallback = reply;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
