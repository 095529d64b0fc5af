import type { FetchLike } from '@cohorly/core';

/** A `fetch` option whose requests wait for {@link GatedFetch.release} before they are sent. */
export interface GatedFetch {
  /** Pass as the client's or integration's `fetch`: sends with `send` once released. */
  fetch: FetchLike;
  /** Lets every request, waiting or to come, go out. */
  release(): void;
  /** How many requests the client has started so far (sent or waiting). */
  requests(): number;
}

/**
 * Holds a client's deliveries at the gate until the test releases them: a request "in
 * flight" for as long as the test needs, on no clock. Release it before cleanup, or the held
 * request waits out cleanup's close deadline.
 */
export function gatedFetch(send: FetchLike = (input, init) => fetch(input, init)): GatedFetch {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = 0;
  return {
    fetch: async (input, init) => {
      started += 1;
      await gate;
      return send(input, init);
    },
    release,
    requests: () => started,
  };
}
