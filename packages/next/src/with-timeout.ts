/**
 * Resolves with `work`'s value, or `'timeout'` after `ms`, whichever comes first. The timer
 * is cleared as soon as the work is done. It is not unref'd on purpose: a caller waiting for
 * a delivery keeps the process alive, for `ms` at most.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
