import type { Properties } from '@cohorly/core';
import type { CohorlyRequest } from './cohorly-request.js';

/** Options of {@link Track}. */
export interface TrackDecoratorOptions<Result = unknown> {
  /**
   * The event's properties, from the request and what the handler returned (resolved, for an
   * async handler), returned synchronously. If it throws or returns a Promise (an `async`
   * function), the event is not sent and `onError` says why. Declared as a method, so `req`
   * may be annotated with your platform's own request type.
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
// CommonJS one), so a decorator from one copy is seen by the interceptor of the other. (A new
// key since a handler holds a list: a copy of 0.1.0 keeps its own registry of single specs.)
const key = Symbol.for('cohorly.nestjs.track-specs');
const holder = globalThis as { [key]?: WeakMap<object, readonly TrackSpec[]> };
holder[key] ??= new WeakMap();
const specs: WeakMap<object, readonly TrackSpec[]> = holder[key];

/**
 * Tracks `event` each time the decorated route handler succeeds, for the request's user as
 * resolved after your guards ran (`identify(req, context)`). Nothing is tracked when the
 * handler, a guard or a pipe throws. Needs `CohorlyModule` (its interceptor does the work).
 * Several `@Track`s on one handler each track their event, in the order they are written (top
 * to bottom); the same event twice on one handler is refused when the class is defined, as it
 * would be sent twice per request.
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
  return (target, propertyKey, descriptor) => {
    const handler = descriptor.value;
    // Recorded against the handler function itself, the one Nest's context hands back as
    // `getHandler()`: no reflection metadata involved.
    if (typeof handler !== 'function') return descriptor;
    const recorded = specs.get(handler) ?? [];
    if (recorded.some((other) => other.event === event)) {
      throw new TypeError(
        `@Track("${event}") is applied twice to ${handlerName(target, propertyKey)}: each @Track sends its event, so it would be sent twice per request. Remove one.`,
      );
    }
    // Decorators apply bottom-up: the one written above comes later and goes first.
    specs.set(handler, [spec, ...recorded]);
    return descriptor;
  };
}

/** `OrdersController.list()`, for error messages. */
function handlerName(target: object, propertyKey: string | symbol): string {
  const owner = typeof target === 'function' ? target : target.constructor;
  return `${owner?.name || 'a class'}.${String(propertyKey)}()`;
}

const none: readonly TrackSpec[] = [];

/** What the `@Track`s of `handler` recorded, in the order they are written. */
export function trackSpecsOf(handler: object): readonly TrackSpec[] {
  return specs.get(handler) ?? none;
}
