/**
 * Messages taken from a {@link MessageQueue}: one JSON array text, `[m1,m2,…]`, held in
 * parts of at most about 64 KiB, with where each message starts, so that the batch can be
 * put back (or split) as it is.
 */
export interface Batch {
  /**
   * The request body of an array endpoint: `[m1,m2,…,mn]` is their concatenation. Each part
   * ends with a whole message (or the closing `]`); no message spans two parts.
   */
  readonly parts: readonly string[];
  /**
   * `starts[i]` is where message `i` begins in that concatenation; it ends one character
   * before `starts[i + 1]` (at the `,` or `]` that follows it). `starts[n]` is its length.
   */
  readonly starts: readonly number[];
  /** Messages in the batch. */
  readonly length: number;
}

/** A batch with a cursor: the part of the queue's front that is not taken yet. */
interface Segment extends Batch {
  head: number;
}

// Strings past 128 KiB are slow to allocate and to keep: V8 gives each its own large-object
// pages. A 500-event batch easily passes that, so a queued batch is kept in parts below it
// and joined only when it is sent.
const PART_CHARS = 64 * 1024;

/** The text of message `index` of `batch` (for `/alias`, which takes one object). */
export function messageAt(batch: Batch, index: number): string {
  const start = batch.starts[index]!;
  const end = batch.starts[index + 1]! - 1;
  let offset = 0;
  for (const part of batch.parts) {
    if (start < offset + part.length) return part.slice(start - offset, end - offset);
    offset += part.length;
  }
  return '';
}

/** Builds a batch from messages, as `[m1,m2,…]` in parts, with their starts. */
function batchOf(messages: readonly string[]): Segment {
  const n = messages.length;
  const starts = new Array<number>(n + 1);
  const parts: string[] = [];
  let at = 1;
  let first = 0;
  let partChars = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    const length = messages[i]!.length;
    at += length + 1;
    partChars += length + 1;
    if (partChars >= PART_CHARS || i === n - 1) {
      parts.push(joinPart(messages, first, i + 1, n));
      first = i + 1;
      partChars = 0;
    }
  }
  starts[n] = at;
  if (n === 0) parts.push('[]');
  return { parts, starts, length: n, head: 0 };
}

/** Messages `from..to` as one flat part: `[` or `,` before them, `]` after the last one. */
function joinPart(messages: readonly string[], from: number, to: number, n: number): string {
  const pieces = messages.slice(from, to);
  pieces[0] = (from === 0 ? '[' : ',') + pieces[0];
  if (to === n) pieces[pieces.length - 1] += ']';
  return pieces.join(',');
}

/**
 * A FIFO of serialized messages. Every `sealSize` messages (the batch size they will be
 * sent in) are joined into the batch's array text, so that a queue of 100,000 messages
 * holds a few hundred strings instead of 100,000 small ones (far less garbage-collector
 * work and memory), and a full batch is sent as it was sealed. Every operation is linear in
 * the messages it touches.
 */
export class MessageQueue {
  /** Sealed batches, oldest first, from `first` on; the first may be partly taken (`head`). */
  private segments: (Segment | undefined)[] = [];
  private first = 0;
  /** Messages after the sealed batches, not joined yet. */
  private open: string[] = [];
  private count = 0;

  /** @param sealSize messages per sealed batch: the consumer's batch size. */
  constructor(private readonly sealSize = 500) {}

  /** Messages in the queue. */
  get length(): number {
    return this.count;
  }

  /** Appends one message at the back. */
  push(message: string): void {
    this.open.push(message);
    this.count += 1;
    if (this.open.length >= this.sealSize) {
      this.segments.push(batchOf(this.open));
      this.open = [];
    }
  }

  /** Removes up to `count` messages from the front, as one batch. */
  take(count: number): Batch {
    // The common case: the oldest sealed batch, whole, is exactly what is asked for (or all
    // there is): it goes as it is, without being split and joined again.
    const oldest = this.segments[this.first];
    if (
      oldest &&
      oldest.head === 0 &&
      (oldest.length === count || (oldest.length < count && oldest.length === this.count))
    ) {
      this.shift();
      this.count -= oldest.length;
      return oldest;
    }
    const messages: string[] = [];
    while (messages.length < count && this.count > 0) {
      const front = this.segments[this.first];
      if (front) {
        const n = Math.min(count - messages.length, front.length - front.head);
        for (let i = 0; i < n; i++) messages.push(messageAt(front, front.head + i));
        this.advance(front, n);
      } else {
        const n = Math.min(count - messages.length, this.open.length);
        for (let i = 0; i < n; i++) messages.push(this.open[i]!);
        this.open = this.open.slice(n);
        this.count -= n;
      }
    }
    return batchOf(messages);
  }

  /** Puts a batch back at the front, in order (a batch that must be retried). */
  putBack(batch: Batch): void {
    if (batch.length === 0) return;
    const segment: Segment = {
      parts: batch.parts,
      starts: batch.starts,
      length: batch.length,
      head: 0,
    };
    if (this.first > 0) {
      this.first -= 1;
      this.segments[this.first] = segment;
    } else {
      this.segments.unshift(segment);
    }
    this.count += batch.length;
  }

  /** Drops the `count` oldest messages. */
  dropOldest(count: number): void {
    let left = Math.min(count, this.count);
    while (left > 0) {
      const front = this.segments[this.first];
      if (front) {
        const n = Math.min(left, front.length - front.head);
        this.advance(front, n);
        left -= n;
      } else {
        this.open = this.open.slice(left);
        this.count -= left;
        left = 0;
      }
    }
  }

  /** Moves the front segment's cursor by `n` messages, removing the segment once spent. */
  private advance(front: Segment, n: number): void {
    front.head += n;
    this.count -= n;
    if (front.head === front.length) this.shift();
  }

  private shift(): void {
    this.segments[this.first] = undefined;
    this.first += 1;
    if (this.first === this.segments.length) {
      this.segments = [];
      this.first = 0;
    } else if (this.first > 1024 && this.first * 2 > this.segments.length) {
      this.segments = this.segments.slice(this.first);
      this.first = 0;
    }
  }
}
