import { expect, it } from 'vitest';
import { RequestBatch } from './request-batch.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

it('settles once every message, including those added while waiting, is in', async () => {
  const batch = new RequestBatch();
  const first = deferred();
  const late = deferred();
  batch.add(first.promise);
  let settled = false;
  const waiting = batch.settled().then(() => {
    settled = true;
  });
  batch.add(late.promise);
  first.resolve();
  await first.promise;
  await Promise.resolve();
  expect(settled).toBe(false);
  expect(batch.closed).toBe(false);
  late.resolve();
  await waiting;
  expect(batch.closed).toBe(true);
});

it('settles, never rejects, when a message was rejected', async () => {
  const batch = new RequestBatch();
  const failing = deferred();
  batch.add(failing.promise);
  failing.promise.catch(() => undefined);
  failing.reject(new Error('redirect'));
  await expect(batch.settled()).resolves.toBeUndefined();
});

it('closes at once when nothing is pending', async () => {
  const batch = new RequestBatch();
  await batch.settled();
  expect(batch.closed).toBe(true);
});
