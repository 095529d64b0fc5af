import type { CloseOptions, CloseReport, CohorlyClient } from '@cohorly/core';
import { CohorlyIntegration, type IntegrationOptions } from '@cohorly/server-kit';
import {
  flushOnResponseClose,
  outsideRequest,
  runWithTracker,
  withNodeFetch,
} from '@cohorly/server-kit/node';
import type { NextFunction, Request, Response } from 'express';
import { expressAccessor } from './express-accessor.js';
import './request-augmentation.js';

/**
 * Options of {@link cohorly}: the client (`client`, or `token` and `apiHost`, defaulting to
 * `COHORLY_TOKEN` and `COHORLY_API_HOST`), identity (`identify`, `anonymousId`), request
 * context (`capture`, `superProperties`, `ignore`), the flush policy (`flush`) and `onError`.
 */
export type CohorlyExpressOptions = IntegrationOptions<Request>;

/** The middleware `cohorly()` returns, with the handles you need on shutdown. */
export interface CohorlyMiddleware {
  /** Gives the request its tracker (`req.cohorly`), whose events are flushed per `flush`. */
  (req: Request, res: Response, next: NextFunction): void;
  /** The Cohorly client events are tracked with, for work outside requests. */
  readonly client: CohorlyClient;
  /** Flushes what is queued now, sharing a flush already in flight; never rejects. */
  flush(): Promise<void>;
  /**
   * Delivers everything still queued within `timeoutMs` (default 10 s) and stops the
   * client, resolving with what was delivered and what was not. Call it on shutdown, after
   * `server.close()`.
   */
  close(options?: CloseOptions): Promise<CloseReport>;
}

/**
 * Cohorly for Express 4 and 5: `app.use(cohorly(options))`. Each request gets a tracker,
 * `req.cohorly` (and `getRequestCohorly()` anywhere in its async call chain), bound to the
 * request's user; its events are flushed soon after they are tracked, coalesced with those
 * of the requests around it (or when the response closes, with `flush: 'on-close'`). Throws
 * at startup when no project token is configured.
 */
export function cohorly(options: CohorlyExpressOptions = {}): CohorlyMiddleware {
  const integration = new CohorlyIntegration<Request>(
    withNodeFetch(options),
    expressAccessor,
    'cohorly()',
    { outsideRequest },
  );

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (integration.ignores(req)) {
      // A tracker that sends nothing, so code that tracks on every request still works.
      const tracker = integration.ignored(req);
      req.cohorly = tracker;
      runWithTracker(tracker, next);
      return;
    }
    const scope = integration.begin(req);
    req.cohorly = scope.tracker;
    flushOnResponseClose(integration, scope, res);
    // `run()`, not `enterWith()`: the tracker is visible to everything `next` starts, and
    // to nothing else.
    runWithTracker(scope.tracker, next);
  };

  return Object.assign(middleware, {
    client: integration.client,
    flush: () => integration.flush(),
    close: (closeOptions?: CloseOptions) => integration.close(closeOptions),
  });
}
