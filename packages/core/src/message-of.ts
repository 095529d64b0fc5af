/**
 * What a callback threw, as an error message shows it: an error's message, else the thrown
 * value as text. Never throws: `throw Object.create(null)` is a value `String()` throws on,
 * and a throw while reporting a failure would escape where nothing may (a transport, an
 * error handler, the request that tracked).
 */
export function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'a value that cannot be shown as text was thrown';
  }
}
