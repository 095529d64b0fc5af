import type { Properties } from '@cohorly/core';
import type { CohorlyRequest } from './cohorly-request.js';

/** Options of {@link Track}. */
export interface TrackDecoratorOptions<Result = unknown> {
  /**
   * The event's properties, from the request and what the handler returned (resolved, for an
   * async handler). If it throws, the event is not sent and `onError` says why. Declared as
   * a method, so `req` may be annotated with your platform's own request type.
   * @default none (only the request's properties, such as `$path`)
   */
  properties?(req: CohorlyRequest, result: Result): Properties | undefined;
}

/** What `@Track` recorded for a handler. */
export interface TrackSpec {
  /** The event name. */
  readonly event: string;
  /** The properties callback. */
  readonly properties:
    | ((req: CohorlyRequest, result: unknown) => Properties | undefined)
    | undefined;
}

// One registry per process, even with two copies of this package loaded (an ESM and a
// CommonJS one), so a decorator from one copy is seen by the interceptor of the other.
const key = Symbol.for('cohorly.nestjs.track');
const holder = globalThis as { [key]?: WeakMap<object, TrackSpec> };
holder[key] ??= new WeakMap();
const specs: WeakMap<object, TrackSpec> = holder[key];

/**
 * Tracks `event` each time the decorated route handler succeeds, for the request's user as
 * resolved after your guards ran (`identify(req, context)`). Nothing is tracked when the
 * handler, a guard or a pipe throws. Needs `CohorlyModule` (its interceptor does the work).
 *
 * ```ts
 * @Post()
 * @Track('Order Placed', { properties: (req, order: Order) => ({ total: order.total }) })
 * place(@Body() body: PlaceOrder): Promise<Order> { ... }
 * ```
 */
export function Track<Result = unknown>(
  event: string,
  options: TrackDecoratorOptions<Result> = {},
): MethodDecorator {
  if (typeof event !== 'string' || event === '') {
    throw new TypeError('@Track: event must be a non-empty string');
  }
  const spec: TrackSpec = {
    event,
    properties: options.properties as TrackSpec['properties'],
  };
  return (_target, _key, descriptor) => {
    // Recorded against the handler function itself, the one Nest's context hands back as
    // `getHandler()`: no reflection metadata involved.
    if (typeof descriptor.value === 'function') specs.set(descriptor.value, spec);
    return descriptor;
  };
}

/** What `@Track` recorded for `handler`, if anything. */
export function trackSpecOf(handler: object): TrackSpec | undefined {
  return specs.get(handler);
}
