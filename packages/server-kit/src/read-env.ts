/**
 * An environment variable without surrounding white space, or `undefined` when unset or
 * blank. A token read from a secret file or an `.env` line often ends in a newline or a
 * space, which the server would refuse (401) for every batch. `process` is absent on some
 * edge runtimes, so it is looked up on `globalThis`.
 */
export function readEnv(name: string): string | undefined {
  const value = (
    globalThis as { process?: { env?: Record<string, string | undefined> } }
  ).process?.env?.[name]?.trim();
  return value === '' ? undefined : value;
}
