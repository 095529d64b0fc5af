/**
 * An environment variable, or `undefined` when unset or empty. `process` is absent on some
 * edge runtimes, so it is looked up on `globalThis`.
 */
export function readEnv(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.[name];
  return value === '' ? undefined : value;
}
