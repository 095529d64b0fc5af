/**
 * The longest delay a timer waits, 2147483647 ms (about 24.8 days). A longer `setTimeout`
 * fires after 1 ms instead (Node.js, browsers and edge runtimes alike), so a timeout meant as
 * "very long" would end at once: every option in milliseconds accepts at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * True for a number of milliseconds that a `setTimeout` waits as asked: from `min` (default
 * 0) to {@link MAX_TIMER_MS}. `NaN`, `Infinity` and non-numbers are not.
 */
export function isTimerMs(value: unknown, min = 0): value is number {
  return typeof value === 'number' && value >= min && value <= MAX_TIMER_MS;
}
