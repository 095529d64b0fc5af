import type { TestServer } from '@cohorly/testing';
import { expect } from 'vitest';

const USERS = 1000;
const WAVE = 250;

/** What {@link expectAttributedToOwnUser} drives and checks. */
export interface AttributionRun {
  /**
   * The app's base URL. `GET /work/<n>` does the work of user `user-<n>`, named in the `x-user`
   * header: it tracks events with `{ owner, step }` (owner: that user) and answers `{ owner }`.
   */
  url: string;
  /** The Cohorly test server the app tracks to. */
  server: TestServer;
  /** The `step` of every event one request tracks. */
  steps: readonly string[];
}

/**
 * Sends `GET /work/<n>` as 1000 users, 250 at a time (so a loaded machine keeps up), and
 * checks that each answer is its own user's; then that no event arrived attributed to
 * another request's user, and that every user has exactly one event of each step.
 */
export async function expectAttributedToOwnUser({
  url,
  server,
  steps,
}: AttributionRun): Promise<void> {
  const users = Array.from({ length: USERS }, (_, n) => `user-${n}`);

  for (let start = 0; start < USERS; start += WAVE) {
    const wave = users.slice(start, start + WAVE);
    const answers = await Promise.all(
      wave.map(async (user) => {
        const response = await fetch(`${url}/work/${user.slice(5)}`, {
          headers: { 'x-user': user },
        });
        return (await response.json()) as { owner: string };
      }),
    );
    expect(answers.map((answer) => answer.owner)).toEqual(wave);
  }

  const events = await server.waitForEvents(USERS * steps.length, { timeoutMs: 30_000 });
  const misattributed = events.filter((event) => event.properties.owner !== event.distinctId);
  expect(misattributed).toEqual([]);
  const stepsOf = new Map<string, string[]>();
  for (const event of events) {
    const list = stepsOf.get(event.distinctId) ?? [];
    list.push(String(event.properties.step));
    stepsOf.set(event.distinctId, list);
  }
  expect(stepsOf.size).toBe(USERS);
  const each = [...steps].sort();
  for (const list of stepsOf.values()) expect(list.sort()).toEqual(each);
}
