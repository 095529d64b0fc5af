import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { Cohorly } from '@cohorly/core';
import { createRecorder } from '@cohorly/testing';
import { describe, expect, it } from 'vitest';
import { plainAccessor, plainRequest } from '../test/plain-request.js';
import { currentTracker, runWithTracker } from './request-context.js';
import { RequestTracker } from './request-tracker.js';

const client = new Cohorly('test-token', { consumer: createRecorder() });
const trackerFor = (user: string) =>
  new RequestTracker({
    req: plainRequest({ user }),
    client,
    accessor: plainAccessor,
    options: { identify: (req) => (req as { user: string }).user },
    onError: () => {},
  });

describe('runWithTracker / currentTracker', () => {
  it('is undefined outside any run', () => {
    expect(currentTracker()).toBeUndefined();
  });

  it('keeps concurrent async chains apart, through timers, immediates and promises', async () => {
    const seen = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const tracker = trackerFor(`user-${i}`);
        return runWithTracker(tracker, async () => {
          const ids: (string | undefined)[] = [];
          // Interleave the chains in a different order at each step.
          await delay(i % 3);
          ids.push(currentTracker()?.distinctId);
          await new Promise((resolve) => setImmediate(resolve));
          ids.push(currentTracker()?.distinctId);
          await Promise.resolve();
          await new Promise((resolve) => setTimeout(resolve, (100 - i) % 4));
          ids.push(currentTracker()?.distinctId);
          return ids;
        });
      }),
    );

    seen.forEach((ids, i) => {
      expect(ids).toEqual([`user-${i}`, `user-${i}`, `user-${i}`]);
    });
    expect(currentTracker()).toBeUndefined();
  });

  it('restores the outer tracker after a nested run, and returns what fn returns', async () => {
    const outer = trackerFor('outer');
    const inner = trackerFor('inner');

    const result = await runWithTracker(outer, async () => {
      const nested = runWithTracker(inner, () => currentTracker());
      await delay(1);
      return [nested, currentTracker()];
    });

    expect(result).toEqual([inner, outer]);
    expect(currentTracker()).toBeUndefined();
  });

  it('does not leak into work started outside the run, even while a run is active', async () => {
    let release!: () => void;
    const active = runWithTracker(
      trackerFor('user-1'),
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );

    const outside = await new Promise((resolve) => setTimeout(() => resolve(currentTracker()), 1));
    release();
    await active;

    expect(outside).toBeUndefined();
  });

  it('shares one store between copies of the package (ESM and CommonJS builds)', () => {
    const cjs = createRequire(import.meta.url)('../dist/node.cjs') as {
      currentTracker: typeof currentTracker;
      runWithTracker: typeof runWithTracker;
    };
    const tracker = trackerFor('user-1');

    expect(cjs.runWithTracker(tracker, () => currentTracker())).toBe(tracker);
    expect(runWithTracker(tracker, () => cjs.currentTracker())).toBe(tracker);
  });
});
