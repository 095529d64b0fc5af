import type { EngageOperation } from './message-validation.js';
import { ENGAGE_OPERATIONS } from './message-validation.js';
import type { JsonObject } from './plain-object.js';

/** A people profile built from the `/engage` operations the server accepted. */
export interface Profile {
  /** The project token. */
  token: string;
  /** The profile's distinct id, as sent. */
  distinctId: string;
  /** The profile's properties after every operation so far. */
  properties: Record<string, unknown>;
  /** When the last operation was applied, by the server's clock (epoch milliseconds). */
  updatedAt: number;
}

/** People profiles keyed by token and distinct id. */
export class ProfileStore {
  readonly #profiles = new Map<string, Profile>();

  /** Applies one validated `/engage` operation. */
  apply(message: JsonObject, now: number): void {
    const token = message.token as string;
    const distinctId = message.distinct_id as string;
    const key = JSON.stringify([token, distinctId]);
    const operation = ENGAGE_OPERATIONS.find((name) => name in message) as EngageOperation;
    const value = message[operation];
    if (operation === '$delete') {
      this.#profiles.delete(key);
      return;
    }
    const existing = this.#profiles.get(key);
    // `$unset` of a profile that does not exist has nothing to remove: it creates nothing.
    if (existing === undefined && operation === '$unset') return;
    const profile = existing ?? { token, distinctId, properties: {}, updatedAt: now };
    const { properties } = profile;
    switch (operation) {
      case '$set':
        for (const [name, next] of Object.entries(value as JsonObject)) {
          setOwn(properties, name, next);
        }
        break;
      case '$set_once':
        for (const [name, initial] of Object.entries(value as JsonObject)) {
          if (!Object.hasOwn(properties, name)) setOwn(properties, name, initial);
        }
        break;
      case '$add':
        for (const [name, amount] of Object.entries(value as Record<string, number>)) {
          const current = properties[name];
          // A missing (or non-numeric) property counts as 0, so `$add` always leaves a number.
          setOwn(properties, name, (typeof current === 'number' ? current : 0) + amount);
        }
        break;
      case '$unset':
        for (const name of value as string[]) delete properties[name];
        break;
    }
    profile.updatedAt = now;
    this.#profiles.set(key, profile);
  }

  /** A copy of every profile, in order of creation. */
  all(): Profile[] {
    return [...this.#profiles.values()].map((profile) => structuredClone(profile));
  }

  /** Forgets every profile. */
  clear(): void {
    this.#profiles.clear();
  }
}

/**
 * Defines an own property. Plain assignment of a key named `__proto__` (which `JSON.parse`
 * produces as an ordinary key) would replace the object's prototype instead.
 */
function setOwn(target: JsonObject, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
