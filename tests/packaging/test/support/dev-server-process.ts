import { type ChildProcess, spawn } from 'node:child_process';
import { childEnv } from './run-process.js';

/** A running `cohorly-dev-server`. */
export interface DevServerProcess {
  /** Its base URL, as it printed it. */
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves once its output matches `pattern`; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM (it flushes its data file), then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<number | null>;
}

/**
 * Starts the `cohorly-dev-server` bin at `bin` on a free port (`--port 0`) and resolves once
 * it has printed its URL, the first line scripts are told to read.
 */
export async function startDevServer(
  bin: string,
  args: readonly string[],
  cwd: string,
): Promise<DevServerProcess> {
  const child: ChildProcess = spawn(bin, ['--port', '0', ...args], {
    cwd,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`cohorly-dev-server did not start:\n${output}`)),
        30_000,
      );
      const onData = () => {
        const match = /cohorly-dev-server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1]!);
      };
      child.stdout?.on('data', onData);
      child.once('error', reject);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`cohorly-dev-server exited with ${code}:\n${output}`));
      });
    });
    const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve();
        };
        const timer = setTimeout(() => {
          child.stdout?.off('data', check);
          reject(new Error(`cohorly-dev-server never printed ${pattern}:\n${output}`));
        }, timeoutMs);
        child.stdout?.on('data', check);
        check();
      });
    return { url, output: () => output, waitForOutput, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
