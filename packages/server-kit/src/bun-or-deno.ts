/**
 * True on Bun and Deno, where the integrations send with the runtime's global `fetch` rather
 * than `createNodeFetch()`. Their global `fetch` goes through `HTTP_PROXY` / `HTTPS_PROXY`
 * (minus `NO_PROXY`) where their `node:http` does not, so behind an egress proxy every batch
 * sent with createNodeFetch() would fail; and there it costs no more CPU per event (Bun:
 * about half of createNodeFetch()'s, Deno: the same), unlike Node's undici.
 */
export function onBunOrDeno(): boolean {
  const runtime = globalThis as { Bun?: unknown; Deno?: unknown };
  return runtime.Bun !== undefined || runtime.Deno !== undefined;
}
