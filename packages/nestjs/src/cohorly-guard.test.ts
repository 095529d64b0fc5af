import { CohorlyIntegration } from '@cohorly/server-kit';
import { outsideRequest } from '@cohorly/server-kit/node';
import type { ExecutionContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { CohorlyGuard } from './cohorly-guard.js';
import { toIntegrationOptions } from './cohorly-module-options.js';
import { nestRequestAccessor } from './nest-request-accessor.js';
import type { NestRequestState } from './request-state.js';

const integrations: CohorlyIntegration<NestRequestState>[] = [];
afterEach(async () => {
  await Promise.all(integrations.splice(0).map((integration) => integration.close()));
});

function guardReportingTo(errors: unknown[]): CohorlyGuard {
  const integration = new CohorlyIntegration(
    // Nothing is tracked, so nothing is ever sent to this host.
    toIntegrationOptions({
      token: 'T',
      apiHost: 'http://127.0.0.1:9',
      onError: (error) => errors.push(error),
    }),
    nestRequestAccessor,
    'CohorlyModule',
    { outsideRequest },
  );
  integrations.push(integration);
  return new CohorlyGuard(integration);
}

/** An execution context of `type` whose HTTP request and response are `request`. */
function contextOf(type: string, request: unknown): ExecutionContext {
  return {
    getType: () => type,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => request }),
  } as unknown as ExecutionContext;
}

describe('CohorlyGuard', () => {
  it('lets other contexts (microservices, GraphQL) through untouched', () => {
    const errors: unknown[] = [];
    const guard = guardReportingTo(errors);
    expect(guard.canActivate(contextOf('rpc', undefined))).toBe(true);
    expect(guard.canActivate(contextOf('graphql', undefined))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('lets a context with no HTTP request behind it through, reporting nothing', () => {
    // What handlers called through ExternalContextCreator (default type 'http') look like:
    // their arguments as "request" and "response".
    const errors: unknown[] = [];
    const guard = guardReportingTo(errors);
    expect(guard.canActivate(contextOf('http', undefined))).toBe(true);
    expect(guard.canActivate(contextOf('http', 'message text'))).toBe(true);
    expect(guard.canActivate(contextOf('http', { orderId: 'o-1' }))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('never throws for analytics reasons: a request it cannot read goes to onError', () => {
    const errors: unknown[] = [];
    const guard = guardReportingTo(errors);
    const unreadable = {
      get raw(): never {
        throw new Error('unreadable');
      },
    };
    expect(guard.canActivate(contextOf('http', unreadable))).toBe(true);
    expect(errors.map(String)).toEqual(['Error: unreadable']);
  });
});
