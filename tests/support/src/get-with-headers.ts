import { request } from 'node:http';

/**
 * A GET of `url` with `headers` sent as given: an array sends the header once per value, as
 * some proxies and clients do (`fetch` would join them into one). Resolves with the status.
 */
export function getWithHeaders(
  url: string,
  headers: Record<string, string | string[]>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}
