import type { IncomingHttpHeaders } from 'node:http';

/** The headers of a {@link NodeFetchResponse}, read by case-insensitive name. */
export interface NodeFetchHeaders {
  /** The header's value (several joined with `", "`, as fetch does); `null` when absent. */
  get(name: string): string | null;
  /** Whether the answer has this header. */
  has(name: string): boolean;
}

/**
 * What `createNodeFetch()` resolves with: the part of a web `Response` that a Cohorly consumer
 * reads (`status`, `headers.get()`, `text()`), plus `ok`, `statusText` and `json()`. Its body
 * was read before it resolved: in full, or its first 64 KiB when the answer is longer (the
 * connection is then closed).
 *
 * Why not a `Response`: on Node.js `Response` and `Headers` are undici's, and the first one
 * built loads undici, 60 to 90 ms of CPU on the event loop at the first delivery after start
 * (measured on Node 20 and 24); each one then costs 7 to 19 µs more per delivery than this.
 */
export class NodeFetchResponse {
  /** The headers of the answer. */
  readonly headers: NodeFetchHeaders;

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The reason phrase, as the server sent it. */
    readonly statusText: string,
    headers: IncomingHttpHeaders,
    private readonly body: Buffer,
  ) {
    this.headers = {
      get(name) {
        const key = name.toLowerCase();
        // Own keys only: a header named like a property of Object.prototype is no header.
        if (!Object.hasOwn(headers, key)) return null;
        const value = headers[key];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
      has(name) {
        return this.get(name) !== null;
      },
    };
  }

  /** True for a 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  /**
   * The body decoded as UTF-8, as fetch's `text()` does: a byte-order mark dropped, bytes that
   * are not UTF-8 as U+FFFD. Of an answer longer than 64 KiB, only its first 64 KiB: what a
   * Cohorly consumer reads is the first few hundred characters of an error.
   */
  text(): Promise<string> {
    const text = this.body.toString('utf8');
    return Promise.resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }

  /**
   * The body parsed as JSON; rejects when it is not JSON (so too an answer longer than 64 KiB,
   * of which only the first 64 KiB were read).
   */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}
