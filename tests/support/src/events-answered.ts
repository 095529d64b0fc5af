import type { TestServer } from '@cohorly/testing';

/** An event as the client sent it, in the body of a `/track` request. */
export interface SentEvent {
  /** The event name. */
  event: string;
  /** Its properties; `owner` is the user a test's handler tracked it for. */
  properties: { distinct_id: string; $insert_id: string; owner?: string };
}

/**
 * The events of the `/track` requests `server` answered with `status`, in the order they
 * arrived: with 200, what it accepted, duplicates included (unlike `server.events()`).
 */
export function eventsAnswered(server: TestServer, status: number): SentEvent[] {
  return server
    .requests()
    .filter((request) => request.path === '/track' && request.status === status)
    .flatMap((request) => request.json as SentEvent[]);
}
