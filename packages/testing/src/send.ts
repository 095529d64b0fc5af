import type { ServerResponse } from 'node:http';

/** Writes a JSON (or string) answer; returns the status for the request log. */
export function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): number {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.setHeader('Content-Type', 'application/json');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  // setHeader is case-insensitive: a scripted `content-type` replaces the default.
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.writeHead(status);
  response.end(text);
  return status;
}
