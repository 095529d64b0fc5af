import type { Properties } from '@cohorly/core';
import type { RequestAccessor } from './request-accessor.js';

/**
 * What an integration adds to each event from the request. Nothing personal is sent unless
 * you ask for it.
 */
export interface CaptureOptions {
  /**
   * Send the request path as `$path`. Query strings are left out unless `query` is true:
   * they often carry emails, tokens or search terms.
   * @default true
   */
  path?: boolean;
  /**
   * Keep the query string in `$path`.
   * @default false
   */
  query?: boolean;
  /**
   * Send the client IP as `ip`, as the framework resolves it (Express honours its
   * `trust proxy` setting; without it, a proxy's address is what you get).
   * @default false
   */
  ip?: boolean;
  /**
   * Send the `User-Agent` header as `$user_agent`.
   * @default false
   */
  userAgent?: boolean;
}

/** Properties merged into every event of a request. */
export interface RequestPropertiesOptions<Req> {
  /** What to capture from the request itself. */
  capture?: CaptureOptions;
  /**
   * Extra properties for every event of a request (a tenant, a plan, an experiment). Event
   * properties win over them.
   * @default none
   */
  superProperties?: (req: Req) => Properties | undefined;
}

/** The properties a request adds to its events, per the options. */
export function requestProperties<Req>(
  req: Req,
  accessor: RequestAccessor<Req>,
  options: RequestPropertiesOptions<Req>,
): Record<string, unknown> {
  const capture = options.capture ?? {};
  const props: Record<string, unknown> = {};
  if (capture.path !== false) {
    const url = accessor.url(req);
    if (url) props.$path = capture.query ? url : url.split('?', 1)[0];
  }
  if (capture.ip) {
    const ip = accessor.ip(req);
    if (ip) props.ip = ip;
  }
  if (capture.userAgent) {
    const userAgent = accessor.header(req, 'user-agent');
    if (userAgent) props.$user_agent = userAgent;
  }
  const extra = options.superProperties?.(req);
  return extra ? { ...props, ...extra } : props;
}
