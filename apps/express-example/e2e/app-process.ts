import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

/** How the app process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The example app, running as a child process (`node dist/server.js`). */
export interface RunningApp {
  /** Base URL read from its `listening on` line. */
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves when its output matches `pattern`; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves when the process has exited (SIGKILL after 15 s). */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<ChildProcess>();

/** Starts the built app on a free port with `env` (over a clean copy of this environment). */
export async function startApp(env: Record<string, string>): Promise<RunningApp> {
  const inherited = { ...process.env };
  delete inherited.COHORLY_TOKEN;
  delete inherited.COHORLY_API_HOST;
  delete inherited.COHORLY_FLUSH;
  const child = spawn(process.execPath, [SERVER], {
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const listener of [...listeners]) listener();
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = START_TIMEOUT_MS) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          finish();
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          reject(new Error(`the app exited before printing ${pattern}; it printed:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(`the app did not print ${pattern} in ${timeoutMs} ms; it printed:\n${output}`),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  try {
    await waitForOutput(/listening on http:\/\/\S+/);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;

  return {
    url,
    output: () => output,
    waitForOutput,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** Kills every app a test left running; call it in `afterEach`. */
export async function killAllApps(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Sends a JSON request to the app and returns the status and the parsed body. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a CSV export, an empty 204): keep the text.
  }
  return { status: response.status, body, headers: response.headers };
}

/** A cart of one item. */
export const oneItemCart = (unitPrice = 10) => ({
  items: [{ sku: 'sku-1', quantity: 2, unitPrice }],
});
