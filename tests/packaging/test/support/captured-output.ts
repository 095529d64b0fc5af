import { format, inspect } from 'node:util';

/** Everything printed while capturing: console calls and raw writes to stdout/stderr. */
export interface CapturedOutput {
  /** All of it, as one string. */
  text(): string;
  /** Stops capturing. */
  restore(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Captures (and silences) what the code under test prints: console calls, formatted as Node
 * would print them (errors with their stack, cause and properties), and raw writes to
 * stdout/stderr, which NestJS's logger uses.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const restores: Array<() => void> = [];
  for (const method of CONSOLE_METHODS) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(format(...args));
    };
    restores.push(() => {
      console[method] = original;
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  return {
    text: () => chunks.join('\n'),
    restore: () => {
      for (const restore of restores.splice(0)) restore();
    },
  };
}

/**
 * An error as completely as anyone could log it: `String(error)`, and `util.inspect` (what
 * `console.error(error)` prints), which shows the stack, the cause chain and every property.
 */
export function fullText(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10, showHidden: true })}`;
}
