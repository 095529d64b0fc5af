/**
 * A FIFO of serialized messages. Taking from the front moves an index instead of shifting
 * the array, so draining a queue of 100,000 messages in batches stays linear.
 */
export class MessageQueue {
  private items: string[] = [];
  private head = 0;

  /** Messages in the queue. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends one message at the back. */
  push(message: string): void {
    this.items.push(message);
  }

  /** Removes and returns up to `count` messages from the front. */
  take(count: number): string[] {
    const end = Math.min(this.head + count, this.items.length);
    const taken = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return taken;
  }

  /** Puts messages back at the front, in order (a batch that must be retried). */
  putBack(messages: readonly string[]): void {
    if (messages.length === 0) return;
    if (this.head >= messages.length) {
      this.head -= messages.length;
      for (let i = 0; i < messages.length; i++) this.items[this.head + i] = messages[i]!;
    } else {
      this.items = messages.concat(this.items.slice(this.head));
      this.head = 0;
    }
  }

  /** Drops the `count` oldest messages. */
  dropOldest(count: number): void {
    this.head = Math.min(this.head + count, this.items.length);
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
