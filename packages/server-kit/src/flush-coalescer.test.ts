import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushCoalescer } from './flush-coalescer.js';

/** A flush whose calls are counted and which finishes only when the test says so. */
function controlledFlush() {
  const pending: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const flush = vi.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
  );
  return {
    flush,
    /** Finishes the oldest flush still running. */
    finish: async (error?: unknown) => {
      const next = pending.shift()!;
      if (error === undefined) next.resolve();
      else next.reject(error);
      // Let the coalescer see the outcome and decide on a rerun.
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

describe('FlushCoalescer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits 50 ms for more requests before flushing', async () => {
    const { flush } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    coalescer.request();
    await vi.advanceTimersByTimeAsync(49);
    expect(flush).not.toHaveBeenCalled();
    expect(coalescer.busy).toBe(true);

    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('restarts the debounce with each request, sharing one flush', async () => {
    const { flush } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    coalescer.request();
    await vi.advanceTimersByTimeAsync(30);
    coalescer.request();
    await vi.advanceTimersByTimeAsync(30);
    coalescer.request();
    await vi.advanceTimersByTimeAsync(49);
    expect(flush).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('never postpones a flush by more than 500 ms in all', async () => {
    const { flush } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    // A steady stream of requests, 40 ms apart, would postpone a pure debounce forever.
    coalescer.request();
    for (let elapsed = 40; elapsed < 500; elapsed += 40) {
      await vi.advanceTimersByTimeAsync(40);
      coalescer.request();
    }
    expect(flush).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(499 - 480);
    expect(flush).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('takes its timings from the options', async () => {
    const { flush } = controlledFlush();
    const coalescer = new FlushCoalescer(flush, { debounceMs: 10, maxWaitMs: 25 });

    coalescer.request();
    await vi.advanceTimersByTimeAsync(9);
    coalescer.request();
    await vi.advanceTimersByTimeAsync(9);
    coalescer.request();
    await vi.advanceTimersByTimeAsync(6);
    expect(flush).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('keeps one flush in flight, and runs exactly one more after it for what came meanwhile', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    void coalescer.now();
    expect(flush).toHaveBeenCalledTimes(1);
    // Requests and immediate flushes while one is in flight: no second concurrent flush.
    coalescer.request();
    void coalescer.now();
    coalescer.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(flush).toHaveBeenCalledTimes(1);

    await finish();
    expect(flush).toHaveBeenCalledTimes(2);
    await finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(flush).toHaveBeenCalledTimes(2);
    expect(coalescer.busy).toBe(false);
  });

  it('debounces what was requested during a flush once it ends, so batches stay full under steady traffic', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    void coalescer.now();
    coalescer.request();
    await vi.advanceTimersByTimeAsync(30);
    coalescer.request();
    await finish();
    // Not at once: the requests during the flush start a debounce when it ends.
    expect(flush).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(49);
    expect(flush).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(2);
    await finish();
    expect(coalescer.busy).toBe(false);
  });

  it('counts the 500 ms cap from the first request made during the flush', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    void coalescer.now();
    coalescer.request();
    await vi.advanceTimersByTimeAsync(460);
    coalescer.request();
    await vi.advanceTimersByTimeAsync(20);
    await finish();
    // 480 ms of the cap are gone: 20 ms left, less than the 50 ms debounce.
    await vi.advanceTimersByTimeAsync(19);
    expect(flush).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(2);
    await finish();
  });

  it('flushes at once after a flush when the debounce of what was asked during it has passed', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    void coalescer.now();
    coalescer.request();
    await vi.advanceTimersByTimeAsync(200);
    await finish();
    expect(flush).toHaveBeenCalledTimes(2);
    await finish();
    expect(coalescer.busy).toBe(false);
  });

  it('arms one timer per flush, however many requests come', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');

    // Steady traffic: a request every millisecond for 300 ms.
    for (let i = 0; i < 300; i++) {
      coalescer.request();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(flush).toHaveBeenCalledTimes(0);
    // The debounce never ran out; one timer, re-armed a few times, not 300.
    expect(setTimeoutSpy.mock.calls.length).toBeLessThan(20);
    await vi.advanceTimersByTimeAsync(200);
    expect(flush).toHaveBeenCalledTimes(1);
    await finish();
    setTimeoutSpy.mockRestore();
  });

  it('does not rerun when nothing was asked for during the flush', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);

    const done = coalescer.now();
    await finish();
    await done;

    expect(flush).toHaveBeenCalledTimes(1);
    expect(coalescer.busy).toBe(false);
  });

  it('now() cancels a pending debounce and resolves after a flush that started after it', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);
    coalescer.request();

    let resolved = false;
    const done = coalescer.now().then(() => {
      resolved = true;
    });
    expect(flush).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(flush).toHaveBeenCalledTimes(1);
    expect(resolved).toBe(false);

    // A second now() during the flush waits for the rerun, which saw its messages.
    let secondResolved = false;
    const second = coalescer.now().then(() => {
      secondResolved = true;
    });
    await finish();
    expect(secondResolved).toBe(false);
    await finish();
    await Promise.all([done, second]);
    expect(resolved && secondResolved).toBe(true);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('resolves now() once its flush is done, even while later callers keep flushes coming', async () => {
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(flush);
    void coalescer.now();
    let resolved = false;
    const mine = coalescer.now().then(() => {
      resolved = true;
    });

    // Steady traffic: someone asks again during each flush, so the loop never ends.
    await finish();
    void coalescer.now();
    await finish();

    // The flush that started after `mine` was asked for is done; a third one is running.
    expect(flush).toHaveBeenCalledTimes(3);
    expect(resolved).toBe(true);
    await mine;
    await finish();
  });

  it('never rejects: a failed flush goes to onError, and the next flush still runs', async () => {
    const { flush, finish } = controlledFlush();
    const onError = vi.fn();
    const coalescer = new FlushCoalescer(flush, { onError });

    const first = coalescer.now();
    await finish(new Error('server down'));
    await expect(first).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalledWith(new Error('server down'));

    coalescer.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('drops a failed flush silently without onError (the consumer reported it already)', async () => {
    const coalescer = new FlushCoalescer(() => Promise.reject(new Error('reported elsewhere')));
    await expect(coalescer.now()).resolves.toBeUndefined();
  });

  it('survives a flush that throws synchronously and an onError that throws', async () => {
    const flush = vi.fn((): Promise<void> => {
      throw new Error('sync failure');
    });
    const coalescer = new FlushCoalescer(flush, {
      onError: () => {
        throw new Error('handler failure');
      },
    });
    await expect(coalescer.now()).resolves.toBeUndefined();
    expect(coalescer.busy).toBe(false);

    // Later flushes still happen.
    coalescer.request();
    await vi.advanceTimersByTimeAsync(50);
    await coalescer.now();
    expect(flush).toHaveBeenCalledTimes(3);
  });
});

describe('FlushCoalescer detach', () => {
  it('starts each flush loop through it: a flush asked for in a request, and every one after it, runs outside that request', async () => {
    // A stand-in for the request context: what the integration passes is `outsideRequest`.
    const requests = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const { flush, finish } = controlledFlush();
    const coalescer = new FlushCoalescer(
      () => {
        seen.push(requests.getStore());
        return flush();
      },
      { detach: (fn) => requests.exit(fn) },
    );
    vi.useFakeTimers();
    try {
      // A response closing in 'on-close' mode (or a handler's flush()), then another one
      // while that flush is on the wire: the loop runs the second flush too.
      const first = requests.run('first-request', () => coalescer.now());
      const second = requests.run('second-request', () => coalescer.now());
      await finish();
      await finish();
      await Promise.all([first, second]);
    } finally {
      vi.useRealTimers();
    }

    expect(seen).toEqual([undefined, undefined]);
  });
});

describe('FlushCoalescer timers', () => {
  it('never keep the process alive', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const coalescer = new FlushCoalescer(() => Promise.resolve());
    try {
      coalescer.request();
      const timer = setTimeoutSpy.mock.results[0]!.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      setTimeoutSpy.mockRestore();
      void coalescer.now();
    }
  });
});
