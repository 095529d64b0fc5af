import { serve } from '@cohorly/test-support';

/** An answer, computed from the request body received. */
export interface EchoAnswer {
  status: number;
  body: string;
  contentType?: string;
}

/** A running {@link startEchoingGateway}. */
export interface EchoingGateway {
  url: string;
  /** The request bodies received, in order. */
  bodies(): string[];
  close(): Promise<void>;
}

/**
 * A gateway in front of a Cohorly server that rejects requests and quotes them back in its
 * answer, as some API gateways, WAFs and framework error pages do. The quoted request holds the
 * project token, which must not reach the app's logs. `@cohorly/testing`'s scripted faults
 * answer with a fixed body; this one answers with what it was sent.
 */
export async function startEchoingGateway(
  answer: (body: string) => EchoAnswer,
): Promise<EchoingGateway> {
  const bodies: string[] = [];
  const served = await serve((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      const reply = answer(body);
      response.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
      response.end(reply.body);
    });
  });
  return { url: served.url, bodies: () => [...bodies], close: served.close };
}

/** The ways a gateway may quote a request it rejects. */
export const ECHO_STYLES = {
  /** The payload, parsed, inside a JSON error: `{"error":...,"received":{...}}`. */
  'a JSON error quoting the payload as JSON': (body: string): EchoAnswer => ({
    status: 400,
    body: JSON.stringify({ error: 'invalid payload', received: JSON.parse(body) }),
  }),
  /** The raw payload as a JSON string: its quotes escaped (`\"token\":\"...\"`). */
  'a JSON error quoting the raw payload as a string': (body: string): EchoAnswer => ({
    status: 400,
    body: JSON.stringify({ error: 'invalid payload', body }),
  }),
  /** Plain text naming the token, as a proxy's 401 page might. */
  'a plain-text 401 naming the token': (body: string): EchoAnswer => ({
    status: 401,
    contentType: 'text/plain',
    body: `401 Unauthorized: invalid project token ${tokenIn(body)}`,
  }),
  /**
   * A long answer whose token ends right where the SDK cuts quoted answers (500 characters),
   * so the closing quote its redaction looks for is cut off.
   */
  'a long JSON error cut right after the token': (body: string): EchoAnswer => {
    const quoted = `{"token":"${tokenIn(body)}"}`;
    const padding = 'x'.repeat(500 - quoted.length + 2);
    return { status: 400, body: `${padding}${quoted}` };
  },
} as const;

/** The name of one of {@link ECHO_STYLES}. */
export type EchoStyle = keyof typeof ECHO_STYLES;

function tokenIn(body: string): string {
  return /"token":"([^"]*)"/.exec(body)?.[1] ?? '';
}
