/** The kinds of message a consumer delivers, named as in the Python SDK. */
export type Endpoint = 'events' | 'people' | 'alias';

/** Every endpoint, in the order buffers are flushed. */
export const ENDPOINTS: readonly Endpoint[] = ['events', 'people', 'alias'];

/** Server path of each endpoint. */
export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = {
  events: '/track',
  people: '/engage',
  alias: '/alias',
};

/** Throws a `TypeError` naming the valid endpoints unless `endpoint` is one of them. */
export function assertEndpoint(endpoint: unknown, caller: string): asserts endpoint is Endpoint {
  if (endpoint !== 'events' && endpoint !== 'people' && endpoint !== 'alias') {
    throw new TypeError(
      `${caller}: unknown endpoint ${JSON.stringify(endpoint)} (valid: alias, events, people)`,
    );
  }
}
