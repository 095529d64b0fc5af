import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batch, MessageQueue, messageAt } from './message-queue.js';

const messages = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `{"n":${from + i}}`);

/** The whole JSON array text of a batch. */
const text = (batch: Batch) => batch.parts.join('');

/** The messages of a batch, each read back through `starts`. */
const unpack = (batch: Batch) =>
  Array.from({ length: batch.length }, (_, i) => messageAt(batch, i));

describe('MessageQueue', () => {
  it('hands out a full batch as the JSON array text it was sealed into', () => {
    const queue = new MessageQueue(3);
    for (const m of messages(0, 7)) queue.push(m);
    expect(queue.length).toBe(7);
    const first = queue.take(3);
    expect(text(first)).toBe('[{"n":0},{"n":1},{"n":2}]');
    expect(first.starts).toEqual([1, 9, 17, 25]);
    expect(unpack(first)).toEqual(messages(0, 3));
    expect(text(queue.take(3))).toBe('[{"n":3},{"n":4},{"n":5}]');
    expect(text(queue.take(3))).toBe('[{"n":6}]');
    expect(queue.length).toBe(0);
    expect(queue.take(3)).toMatchObject({ parts: ['[]'], length: 0 });
  });

  it('splits and joins batches when asked for another size (after a 413)', () => {
    const queue = new MessageQueue(4);
    for (const m of messages(0, 10)) queue.push(m);
    expect(unpack(queue.take(3))).toEqual(messages(0, 3));
    // One left in the first sealed batch, four in the second, two not sealed.
    const across = queue.take(7);
    expect(text(across)).toBe(`[${messages(3, 10).join(',')}]`);
    expect(unpack(across)).toEqual(messages(3, 10));
    expect(queue.length).toBe(0);
  });

  it('puts a batch back at the front, in order, to be sent as it was', () => {
    const queue = new MessageQueue(2);
    for (const m of messages(0, 5)) queue.push(m);
    const batch = queue.take(2);
    queue.push('{"n":5}');
    queue.putBack(batch);
    expect(queue.length).toBe(6);
    const again = queue.take(2);
    expect(text(again)).toBe(text(batch));
    expect(again.starts).toEqual(batch.starts);
    expect(unpack(queue.take(10))).toEqual(messages(2, 6));
  });

  it('drops the oldest across sealed and open messages', () => {
    const queue = new MessageQueue(3);
    for (const m of messages(0, 8)) queue.push(m);
    queue.dropOldest(4);
    expect(queue.length).toBe(4);
    expect(unpack(queue.take(10))).toEqual(messages(4, 8));
    queue.dropOldest(5);
    expect(queue.length).toBe(0);
  });

  it('keeps a large batch in parts below 64 KiB, each ending with a whole message', () => {
    const queue = new MessageQueue(500);
    const big = Array.from({ length: 500 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(300)}"}`);
    for (const m of big) queue.push(m);
    const batch = queue.take(500);
    expect(batch.parts.length).toBeGreaterThan(1);
    for (const part of batch.parts) expect(part.length).toBeLessThan(64 * 1024 + 400);
    expect(text(batch)).toBe(`[${big.join(',')}]`);
    expect(JSON.parse(text(batch))).toHaveLength(500);
    expect(unpack(batch)).toEqual(big);
    // Split again (a 413 halves the batch size): parts and starts still agree.
    queue.putBack(batch);
    expect(unpack(queue.take(250))).toEqual(big.slice(0, 250));
    expect(text(queue.take(250))).toBe(`[${big.slice(250).join(',')}]`);
  });

  it('reads single messages back for /alias, which sends one object per request', () => {
    const queue = new MessageQueue(50);
    queue.push('{"alias":"a","distinct_id":"u","token":"T"}');
    queue.push('{"alias":"b","distinct_id":"u","token":"T"}');
    expect(messageAt(queue.take(1), 0)).toBe('{"alias":"a","distinct_id":"u","token":"T"}');
    expect(messageAt(queue.take(1), 0)).toBe('{"alias":"b","distinct_id":"u","token":"T"}');
  });

  it('behaves as a plain FIFO under any sequence of operations', () => {
    type Op =
      | { op: 'push'; count: number }
      | { op: 'take'; count: number; putBack: boolean }
      | { op: 'drop'; count: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('push' as const), count: fc.integer({ min: 1, max: 20 }) }),
      fc.record({
        op: fc.constant('take' as const),
        count: fc.integer({ min: 1, max: 12 }),
        putBack: fc.boolean(),
      }),
      fc.record({ op: fc.constant('drop' as const), count: fc.integer({ min: 1, max: 8 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(op, { maxLength: 60 }), (seal, ops) => {
        const queue = new MessageQueue(seal);
        let model: string[] = [];
        let next = 0;
        for (const step of ops) {
          if (step.op === 'push') {
            for (const m of messages(next, next + step.count)) {
              queue.push(m);
              model.push(m);
            }
            next += step.count;
          } else if (step.op === 'take') {
            const batch = queue.take(step.count);
            const expected = model.slice(0, step.count);
            expect(unpack(batch)).toEqual(expected);
            expect(text(batch)).toBe(`[${expected.join(',')}]`);
            if (step.putBack) queue.putBack(batch);
            else model = model.slice(step.count);
          } else {
            queue.dropOldest(step.count);
            model = model.slice(step.count);
          }
          expect(queue.length).toBe(model.length);
        }
        expect(unpack(queue.take(model.length + 1))).toEqual(model);
      }),
      { numRuns: 300, seed: 20261127 },
    );
  });
});
