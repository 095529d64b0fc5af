import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, type Line, runtimeEnv } from './child-process.js';

const WORKER = fileURLToPath(new URL('../../fixtures/worker.js', import.meta.url));
/** `log()` and `describe()` of every worker, served as the module `test-log`. */
const WORKER_LOG = fileURLToPath(new URL('../../fixtures/worker-log.js', import.meta.url));

/** How long workerd may take to start listening. */
const START_TIMEOUT_MS = 15_000;

/**
 * The file a bundler or runtime loads for `import '@cohorly/core'`: the `import` condition of
 * core's `exports` (its built `dist/index.js`, one self-contained ES module).
 */
function coreModulePath(): string {
  const manifest = createRequire(import.meta.url).resolve('@cohorly/core/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: { '.': { import: { default: string } } };
  };
  return join(dirname(manifest), exports['.'].import.default);
}

/** A running `workerd serve`. */
export interface Workerd {
  /** `http://127.0.0.1:<port>`, the worker's address. */
  url: string;
  /** The JSON lines the worker logged so far. */
  lines(): Line[];
  /** Everything workerd printed so far, both streams. */
  output(): string;
  /** Kills workerd and removes its folder. */
  stop(): void;
}

/**
 * The workerd config: the worker, its `test-log` and core's dist as ES modules, the generated
 * `test-config` module, a socket on 127.0.0.1 (port 0: workerd reports the one it got on the control fd), and
 * an outbound network service that may reach local addresses, where the test server listens.
 */
function config(apiHost: string, token: string): string {
  const testConfig = `export const API_HOST = ${JSON.stringify(apiHost)}; export const TOKEN = ${JSON.stringify(token)};`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "test-log", esModule = embed "test-log.js"),
    (name = "@cohorly/core", esModule = embed "cohorly-core.js"),
    (name = "test-config", esModule = ${JSON.stringify(testConfig)}),
  ],
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
);
`;
}

/**
 * Starts `workerd serve` with a worker (fixtures/worker.js unless `worker` names another file),
 * sending to the Cohorly server at `apiHost`.
 */
export async function startWorkerd(
  binary: string,
  apiHost: string,
  token: string,
  worker = WORKER,
): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), 'cohorly-workerd-'));
  copyFileSync(worker, join(dir, 'worker.js'));
  copyFileSync(WORKER_LOG, join(dir, 'test-log.js'));
  // The very bytes of core's build, under the name the worker imports.
  copyFileSync(coreModulePath(), join(dir, 'cohorly-core.js'));
  writeFileSync(join(dir, 'config.capnp'), config(apiHost, token));

  const child: ChildProcess = spawn(binary, ['serve', 'config.capnp', '--control-fd', '3'], {
    cwd: dir,
    env: runtimeEnv(),
    // fd 3: workerd's control messages, where it says which port it listens on.
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const stop = () => {
    killGroup(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`workerd did not listen within ${START_TIMEOUT_MS} ms\n${output}`)),
        START_TIMEOUT_MS,
      );
      let control = '';
      const controlFd = child.stdio[3] as NodeJS.ReadableStream;
      controlFd.setEncoding('utf8');
      controlFd.on('data', (chunk: string) => {
        control += chunk;
        // Whole lines only: the last part may still be arriving.
        for (const text of control.split('\n').slice(0, -1)) {
          if (!text.trim()) continue;
          const message = JSON.parse(text) as { event?: string; port?: number };
          if (message.event === 'listen' && message.port) {
            clearTimeout(timer);
            resolve(message.port);
          }
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`workerd exited with ${code} before listening\n${output}`));
      });
    });
    return {
      url: `http://127.0.0.1:${port}`,
      lines: () =>
        output
          .split('\n')
          .filter((text) => text.startsWith('{"type":'))
          .map((text) => JSON.parse(text) as Line),
      output: () => output,
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
