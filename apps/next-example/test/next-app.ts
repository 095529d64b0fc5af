import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const buildId = join(appDir, '.next', 'BUILD_ID');

// What the build depends on: the app's sources and the built workspace packages it imports.
const INPUTS = [
  'app',
  'lib',
  'instrumentation.ts',
  'instrumentation-node.ts',
  'next.config.ts',
  'package.json',
  'tsconfig.json',
  '../../packages/next/dist',
  '../../packages/server-kit/dist',
  '../../packages/core/dist',
];

// Source maps and type declarations of the packages do not change what Next.js bundles.
const IRRELEVANT = /\.(map|d\.ts|d\.cts)$/;

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return IRRELEVANT.test(path) ? 0 : stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

/**
 * Makes sure `.next` holds a production build of the current sources. `pnpm test` builds
 * the app with turbo before vitest runs, so this is usually a no-op; run alone, or after an
 * edit, it runs `next build` once.
 */
export async function ensureBuilt(): Promise<void> {
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const sources = Math.max(...INPUTS.map((input) => newest(join(appDir, input))));
  if (built > sources) return;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [nextBin, 'build'],
      { cwd: appDir, env, timeout: 200_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`next build failed:\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

/** A running `next start`. */
export interface RunningApp {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  /** The child process. */
  child: ChildProcess;
  /** Everything the app printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

/**
 * Starts `next start` on 127.0.0.1 with PORT=0 (a free port) and resolves once the app has
 * printed `listening on http://127.0.0.1:PORT`.
 */
export async function startApp(extraEnv: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, [nextBin, 'start', '--hostname', '127.0.0.1'], {
    cwd: appDir,
    env: { ...env, ...extraEnv, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`next start did not start:\n${output}`)),
        60_000,
      );
      const onData = () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1]!);
      };
      child.stdout.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`next start exited with ${code}:\n${output}`));
      });
    });
    return { url, child, output: () => output, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
