import type {
  IdentityOptions,
  RequestAccessor,
  RequestPropertiesOptions,
} from '@cohorly/server-kit';
import type { CohorlyServerOptions } from './cohorly-server-options.js';

/** The request headers, as `headers()` from `next/headers` returns them. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** The request cookies, as `cookies()` from `next/headers` returns them. */
export interface CookieSource {
  getAll(): Array<{ name: string; value: string }>;
}

/**
 * What the trackers of `@cohorly/next` know about the request: read from `next/headers`
 * inside a request scope, empty outside one (scripts, build, tests).
 */
export interface NextRequestSnapshot {
  /** The request headers, inside a request scope. */
  headers?: HeaderSource;
  /** The request cookies, inside a request scope; cookies set during it included. */
  cookies?: CookieSource;
  /** What `getDistinctId()` returned. */
  userId?: string | number | null;
}

/** How server-kit reads a {@link NextRequestSnapshot}, and what it reads from it. */
export interface NextRequestConfig {
  /** Reads headers, cookies and the client IP from a snapshot. */
  accessor: RequestAccessor<NextRequestSnapshot>;
  /** Identity (`getDistinctId()`'s result, then the anonymous id) and captured properties. */
  options: IdentityOptions<NextRequestSnapshot> & RequestPropertiesOptions<NextRequestSnapshot>;
}

const DEFAULT_ANONYMOUS_HEADER = 'x-cohorly-anonymous-id';

/**
 * Adapts {@link NextRequestSnapshot}s to server-kit, which resolves identity and request
 * properties. Cookies come from `cookies()`, not the `Cookie` header, so that an anonymous
 * id set earlier in the same server action or route handler is already seen.
 */
export function nextRequestConfig(options: CohorlyServerOptions): NextRequestConfig {
  const { anonymousIdCookie: cookie, anonymousIdHeader: header } = options;
  // server-kit reads the header, then the cookie; a source turned off reads as absent.
  const hiddenHeader = header === false ? DEFAULT_ANONYMOUS_HEADER : undefined;
  const anonymousHeader =
    header === false ? undefined : (header || DEFAULT_ANONYMOUS_HEADER).toLowerCase();
  const accessor: RequestAccessor<NextRequestSnapshot> = {
    header(req, name) {
      const lower = name.toLowerCase();
      if (lower === 'cookie') {
        if (cookie === false || !req.cookies) return undefined;
        return serializeCookies(req.cookies) || undefined;
      }
      if (lower === hiddenHeader) return undefined;
      const value = req.headers?.get(lower) ?? undefined;
      // `headers()` is a web `Headers`, which joins a repeated header's values with ", " and
      // cannot give them apart: two anonymous ids would become a third user, "anon-a, anon-b".
      // An anonymous id holds no comma, so the first entry of the list is the first one sent;
      // an empty one (`X-Cohorly-Anonymous-Id:` then the real one) is skipped, or the event
      // would be dropped although the request carries an id. Other headers are read whole: a
      // User-Agent has commas of its own.
      if (lower === anonymousHeader && value?.includes(',')) {
        return firstListEntry(value);
      }
      return value;
    },
    // App Router APIs do not expose the request path to server code.
    url: () => undefined,
    ip(req) {
      // `next start` and Vercel both set X-Forwarded-For; its first entry is the client.
      const forwarded = req.headers?.get('x-forwarded-for')?.split(',', 1)[0]?.trim();
      return forwarded || req.headers?.get('x-real-ip') || undefined;
    },
  };
  return {
    accessor,
    options: {
      identify: (req) => req.userId,
      anonymousId:
        cookie === false && header === false
          ? false
          : { cookie: cookie || undefined, header: header || undefined },
      capture: {
        path: false,
        ip: options.capture?.ip === true,
        userAgent: options.capture?.userAgent === true,
      },
    },
  };
}

/** The first non-empty entry of a comma-separated header value, trimmed. */
function firstListEntry(value: string): string | undefined {
  for (const entry of value.split(',')) {
    const trimmed = entry.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

function serializeCookies(cookies: CookieSource): string {
  return cookies
    .getAll()
    .map(({ name, value }) => `${name}=${encodeURIComponent(value)}`)
    .join('; ');
}
