import type { RequestAccessor } from '../src/request-accessor.js';

/** A framework-free request, so the server-kit is tested without any framework. */
export interface PlainRequest {
  headers: Record<string, string>;
  url?: string;
  ip?: string;
  user?: string;
}

/** Reads a {@link PlainRequest}, as a framework package's accessor reads its requests. */
export const plainAccessor: RequestAccessor<PlainRequest> = {
  header: (req, name) => req.headers[name.toLowerCase()],
  url: (req) => req.url,
  ip: (req) => req.ip,
};

/** A request with the given headers (names in lower case) and fields. */
export function plainRequest(fields: Partial<PlainRequest> = {}): PlainRequest {
  return { headers: {}, ...fields };
}
