import { describe, expect, it } from 'vitest';
import { formatEventLine } from './dev-server-log.js';
import type { StoredEvent } from './event-store.js';

function stored(properties: Record<string, unknown>): StoredEvent {
  return {
    event: 'Signed Up',
    distinctId: 'user-1',
    token: 'T',
    properties: { distinct_id: 'user-1', ...properties },
    insertId: undefined,
    meta: {},
    receivedAt: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
  };
}

describe('formatEventLine', () => {
  it('shows the event time, name, distinct id, $lib and the first properties', () => {
    const line = formatEventLine(
      stored({
        time: Date.UTC(2025, 10, 27, 6, 11, 0, 123),
        $insert_id: 'abc',
        $lib: 'node',
        $lib_version: '0.1.0',
        plan: 'pro',
        seats: 3,
      }),
    );
    expect(line).toBe('2025-11-27T06:11:00.123Z  "Signed Up"  user-1  node  plan="pro"  seats=3');
  });

  it('falls back to the arrival time and "-" for a missing $lib', () => {
    expect(formatEventLine(stored({}))).toBe('2025-01-02T03:04:05.006Z  "Signed Up"  user-1  -');
  });

  it('shortens long values and counts the properties it leaves out', () => {
    const line = formatEventLine(
      stored({ a: 'x'.repeat(100), b: 1, c: 2, d: { nested: true }, e: 5, f: 6 }),
    );
    expect(line).toBe(
      `2025-01-02T03:04:05.006Z  "Signed Up"  user-1  -  a="${'x'.repeat(36)}...  b=1  c=2  d={"nested":true}  (+2 more)`,
    );
  });
});
