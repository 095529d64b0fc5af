import type { IncomingMessage } from 'node:http';

/** What reading a request body gave. */
export type BodyResult =
  /** The whole body, within the cap. */
  | { kind: 'complete'; bytes: Buffer }
  /** The body passed the cap; `bytes` holds what was read up to it. */
  | { kind: 'too-large'; bytes: Buffer }
  /** The client went away before the body ended. */
  | { kind: 'aborted'; bytes: Buffer };

/**
 * Reads a request body, but resolves `too-large` as soon as it passes `maxBytes` (or at once,
 * when `Content-Length` already says so), so the server can answer 413 without buffering
 * the rest. What follows the cap is read and discarded: a client still writing its body
 * then receives the 413 instead of a connection reset.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const tooLarge = (): void => settle({ kind: 'too-large', bytes: Buffer.concat(chunks) });
    if (Number.isFinite(declared) && declared > maxBytes) tooLarge();
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        tooLarge();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    request.on('end', () => settle({ kind: 'complete', bytes: Buffer.concat(chunks) }));
    request.on('error', () => settle({ kind: 'aborted', bytes: Buffer.concat(chunks) }));
    request.on('close', () => {
      if (!request.complete) settle({ kind: 'aborted', bytes: Buffer.concat(chunks) });
    });
  });
}
