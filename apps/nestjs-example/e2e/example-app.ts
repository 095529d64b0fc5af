import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** How the app process ended. */
export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The example app, built and started with node as a child process. */
export interface ExampleApp {
  url: string;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<AppExit>;
  /** Sends `signal`, waits for the exit; kills it if it has not exited within `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<AppExit & { killed: boolean }>;
}

/**
 * Starts `node dist/main.js` with `PORT=0` and `env`, and resolves once it prints its URL;
 * rejects with its output if it exits first or prints nothing in time (it is killed then).
 */
export function startExampleApp(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ExampleApp> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<AppExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', limitMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overdue = new Promise<'overdue'>((resolve) => {
      timer = setTimeout(() => resolve('overdue'), limitMs);
    });
    const outcome = await Promise.race([exited, overdue]);
    clearTimeout(timer);
    if (outcome !== 'overdue') return { ...outcome, killed: false };
    child.kill('SIGKILL');
    return { ...(await exited), killed: true };
  };

  return new Promise<ExampleApp>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code ?? signal}) before listening:\n${output}`));
    });
    child.stdout.on('data', () => {
      const url = LISTENING.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ url, output: () => output, exited, stop });
    });
  });
}

/** A request as the front end would send it. */
export function call(
  url: string,
  options: {
    user?: string;
    anonymousId?: string;
    userAgent?: string;
    method?: string;
    body?: unknown;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.user) headers.authorization = `Bearer ${options.user}`;
  if (options.userAgent) headers['user-agent'] = options.userAgent;
  if (options.anonymousId) headers['x-cohorly-anonymous-id'] = options.anonymousId;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}
