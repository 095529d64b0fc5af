/**
 * The messages one request is still handing to the client. The request's delivery waits for
 * them, so a `trackServer()` the handler did not await is still in the request's flush.
 */
export class RequestBatch {
  /** True once the platform keeps this batch's delivery alive (`after()` or `waitUntil`). */
  keptAlive = false;
  /**
   * True once the delivery has stopped waiting for messages: a later call of the same
   * request (inside an `after()` callback, say) needs a batch and a delivery of its own.
   */
  closed = false;
  private readonly pending = new Set<Promise<unknown>>();

  /** Adds a message being tracked. */
  add(tracking: Promise<unknown>): void {
    this.pending.add(tracking);
    const forget = () => this.pending.delete(tracking);
    tracking.then(forget, forget);
  }

  /**
   * Resolves when every message added so far, and any added meanwhile, is in the client;
   * the batch is closed from then on. Never rejects.
   */
  async settled(): Promise<void> {
    // Each turn waits for what is pending; calls made meanwhile are waited for next turn.
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    this.closed = true;
  }
}
