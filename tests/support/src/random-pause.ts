import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const thisFile = fileURLToPath(import.meta.url);

/**
 * A short random wait, drawn from `next` (see `seededRandom`): a chain of one to three
 * setImmediate turns, microtasks, or real file-system reads, so that request context must
 * survive every kind of await.
 */
export async function randomPause(next: () => number): Promise<void> {
  const hops = 1 + Math.floor(next() * 3);
  const kind = Math.floor(next() * 3);
  for (let hop = 0; hop < hops; hop += 1) {
    if (kind === 0) await new Promise((resolve) => setImmediate(resolve));
    else if (kind === 1) await new Promise<void>((resolve) => queueMicrotask(resolve));
    else await stat(thisFile);
  }
}
