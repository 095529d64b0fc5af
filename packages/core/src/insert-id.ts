/**
 * A uuid4 as 32 lowercase hex characters without dashes, like Python's `uuid.uuid4().hex`.
 * The server deduplicates events by it, so retried batches are never counted twice.
 */
export function newInsertId(): string {
  const id = crypto.randomUUID();
  // Slicing is several times faster than a global regex replace on this hot path.
  return id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
}
