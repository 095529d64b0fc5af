/**
 * The longest delay a Node.js timer waits: a longer `setTimeout` fires after 1 ms instead, so
 * a "hang for ever" delay or timeout would end at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** True for a number of milliseconds a `setTimeout` waits as asked: 0 to {@link MAX_TIMER_MS}. */
export function isTimerMs(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS;
}
