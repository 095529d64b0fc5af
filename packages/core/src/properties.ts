/** A value JSON can carry, plus `Date` (sent as an ISO-8601 string) and `undefined` (omitted). */
export type PropertyValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Date
  | readonly PropertyValue[]
  | { readonly [key: string]: PropertyValue };

/** Event or profile properties. */
export type Properties = { readonly [key: string]: PropertyValue };

/** Keys merged at the top level of a message (next to `event` and `properties`). */
export type Meta = { readonly [key: string]: PropertyValue };

/**
 * Properties of an event: any JSON-like properties, with `time` and `$insert_id` (which
 * replace the stamped ones) typed as the server takes them: `time` in epoch milliseconds (a
 * `Date` there throws at the call), `$insert_id` a string.
 */
export type EventProperties = {
  readonly time?: number;
  readonly $insert_id?: string;
  readonly [key: string]: PropertyValue;
};

/** The catalog of an untyped client: any event name, any JSON-like properties. */
export type AnyEvents = Record<string, EventProperties>;

/**
 * The constraint on a typed event catalog: each event name maps to the type of its
 * properties. Interfaces and type aliases both work:
 * `type MyEvents = { 'Signed Up': { plan: 'free' | 'pro' }; 'Logged In': {} }`.
 */
export type EventCatalog<Events> = { [K in keyof Events]: object };

/**
 * The arguments after the event name: properties are optional when the event's properties
 * are all optional, required otherwise; `meta` is always optional.
 */
export type EventArgs<Events, E extends keyof Events> = {} extends Events[E]
  ? [properties?: Events[E], meta?: Meta]
  : [properties: Events[E], meta?: Meta];
