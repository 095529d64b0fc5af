import { type EventStore, toStoredEvent } from './event-store.js';
import type { IdentityMap } from './identity-map.js';
import { MESSAGE_PROBLEM, type MessageKind, problemStatus, tokenOf } from './message-validation.js';
import type { ParsedBody } from './parsed-body.js';
import type { JsonObject } from './plain-object.js';
import type { ProfileStore } from './profile-store.js';

/** An alias the server accepted. */
export interface AliasRecord {
  /** The new id. */
  alias: string;
  /** The id it stands for. */
  distinctId: string;
  /** The project token. */
  token: string;
  /** When the server stored it, by the server's clock (epoch milliseconds). */
  receivedAt: number;
}

/** A status and JSON body to answer with. */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** JSON body. */
  body: JsonObject;
}

/** What the backend stores into and checks against. */
export interface BackendParts {
  events: EventStore;
  profiles: ProfileStore;
  identities: IdentityMap;
  aliases: AliasRecord[];
  /** The token allow-list; `undefined` accepts every token. */
  tokens: ReadonlySet<string> | undefined;
  /** Most items in one `/track` or `/engage` array. */
  maxBatchSize: number;
  clock: () => number;
}

const ACCEPTED: Answer = { status: 200, body: { status: 1 } };

function rejection(status: number, error: string, index?: number): Answer {
  return { status, body: index === undefined ? { error } : { error, index } };
}

/**
 * Does what the Cohorly server does with a POST body that arrived whole: checks the
 * content type, the JSON, the batch and every item, then stores all items or none.
 */
export function ingest(
  parts: BackendParts,
  kind: MessageKind,
  contentType: string | undefined,
  body: ParsedBody,
): Answer {
  // The contract requires the header; an SDK that forgets it must not pass its tests here.
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return rejection(400, `Content-Type must be application/json, got ${contentType ?? 'none'}`);
  }
  if (body.problem !== undefined) return rejection(400, body.problem);
  const items = batchItems(kind, body.json, parts.maxBatchSize);
  if (!Array.isArray(items)) return items;
  // Every item is checked before any is stored: a batch is accepted or rejected whole.
  for (const [index, item] of items.entries()) {
    const problem = MESSAGE_PROBLEM[kind](item);
    if (problem !== undefined) return rejection(problemStatus(problem), problem, index);
    const token = tokenOf(kind, item as JsonObject);
    if (parts.tokens !== undefined && !parts.tokens.has(token)) {
      // Never echo the token: clients quote answers in their logs.
      return rejection(401, 'unknown project token', index);
    }
  }
  store(parts, kind, items as JsonObject[]);
  return ACCEPTED;
}

function batchItems(kind: MessageKind, json: unknown, maxBatchSize: number): unknown[] | Answer {
  if (kind === 'alias') {
    return Array.isArray(json)
      ? rejection(400, '/alias takes exactly one alias object, not an array')
      : [json];
  }
  if (!Array.isArray(json)) return [json];
  if (json.length === 0) return rejection(400, 'empty batch: send at least one item');
  if (json.length > maxBatchSize) {
    return rejection(413, `batch of ${json.length} items is over the limit of ${maxBatchSize}`);
  }
  return json;
}

function store(parts: BackendParts, kind: MessageKind, items: JsonObject[]): void {
  const now = parts.clock();
  switch (kind) {
    case 'events':
      parts.events.add(items.map((item) => toStoredEvent(item, now)));
      return;
    case 'people':
      for (const item of items) parts.profiles.apply(item, now);
      return;
    case 'alias':
      for (const item of items) {
        const record: AliasRecord = {
          alias: item.alias as string,
          distinctId: item.distinct_id as string,
          token: item.token as string,
          receivedAt: now,
        };
        parts.identities.link(record.token, record.alias, record.distinctId);
        parts.aliases.push(record);
      }
      return;
  }
}
