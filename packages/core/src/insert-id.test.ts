import { expect, it } from 'vitest';
import { newInsertId } from './insert-id.js';

// uuid4().hex: version 4 at hex digit 13, the RFC 4122 variant (8, 9, a or b) at digit 17.
const UUID4_HEX = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;

it('makes uuid4 hex ids, all different, across many refills of its random pool', () => {
  const ids = Array.from({ length: 5_000 }, () => newInsertId());
  for (const id of ids) expect(id).toMatch(UUID4_HEX);
  expect(new Set(ids).size).toBe(ids.length);
});

it('spreads the random digits evenly (no digit stuck by the hex encoding)', () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 2_000; i++) {
    const id = newInsertId();
    // Digits 0..11: fully random.
    for (const digit of id.slice(0, 12)) counts.set(digit, (counts.get(digit) ?? 0) + 1);
  }
  expect(counts.size).toBe(16);
  // 24,000 digits: each of the 16 should appear about 1,500 times.
  for (const count of counts.values()) expect(count).toBeGreaterThan(1_200);
});
