import type { IncomingHttpHeaders } from 'node:http';

/** What {@link nodeRequestHeader} reads of a Node request (`IncomingMessage`). */
export interface NodeRequestHeaders {
  /** The headers, as Node joins them. */
  readonly headers: IncomingHttpHeaders;
  /** Each header's values, unjoined (Node 18.3 and later). */
  readonly headersDistinct?: Partial<Record<string, string[]>>;
}

/**
 * A header of a Node request (Express's, Fastify's `request.raw`), as
 * `RequestAccessor.header` reads one: its first non-empty value when it was sent more than
 * once, and `undefined` when it was not sent. `cookie` is the exception: Node joins its
 * repeats with `"; "` into one list of cookies, which is read whole.
 */
export function nodeRequestHeader(req: NodeRequestHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  const value = req.headers[lower];
  // Only `set-cookie` arrives as an array.
  if (Array.isArray(value)) return value[0];
  // Node joins the values of a repeated header with ", ": two anonymous ids would become a
  // third user, "anon-a, anon-b". `headersDistinct` keeps them apart; it is built for the
  // whole request when first read, so it is read only when a comma says it may matter.
  if (value === undefined || lower === 'cookie' || !value.includes(',')) return value;
  const values = req.headersDistinct?.[lower];
  if (!values) return value;
  // An empty first value (`X-Cohorly-Anonymous-Id:` then the real one) would read as no id,
  // and the event would be dropped although the request carries one.
  return values.find((one) => one.trim() !== '') ?? values[0];
}
