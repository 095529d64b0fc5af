import type { Properties } from '@cohorly/core';
import { describeValue, isPlainObject } from './describe-value.js';
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

/**
 * The properties a request adds to its events, per the options. Throws, naming
 * `superProperties(req)`, when it throws or returns something other than a plain object:
 * the caller does not send the event, and reports why.
 */
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
  if (!options.superProperties) return props;
  let extra: unknown;
  try {
    extra = options.superProperties(req);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`superProperties(req) threw: ${reason}`, { cause: error });
  }
  if (extra === undefined || extra === null) return props;
  // Spread as it is, a string or an array would become {"0": …} without a word.
  if (!isPlainObject(extra)) {
    throw new TypeError(
      `superProperties(req) must return a plain object, got ${describeValue(extra)}`,
    );
  }
  return { ...props, ...extra };
}
