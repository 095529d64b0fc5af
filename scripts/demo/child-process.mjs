import { spawn } from 'node:child_process';

/**
 * Starts a long-running process, prefixes its output with its name, and resolves once a line
 * matches `ready` (with the first capture group, e.g. its URL). Fails after `timeoutMs`.
 */
export function startProcess({
  name,
  command,
  args,
  cwd,
  env,
  ready,
  timeoutMs = 90_000,
  quiet = false,
}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const prefix = `${name.padEnd(18)} |`;
  const handle = { name, child, output, url: undefined, exited: false };
  child.on('exit', () => {
    handle.exited = true;
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} did not report ready within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`,
        ),
      );
    }, timeoutMs);
    const onLine = (line) => {
      output.push(line);
      if (!quiet) console.log(`${prefix} ${line}`);
      const match = handle.url === undefined ? ready.exec(line) : null;
      if (match) {
        handle.url = match[1] ?? '';
        clearTimeout(timer);
        resolve(handle);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) onLine(line);
      });
    }
    child.on('exit', (code, signal) => {
      if (handle.url === undefined) {
        clearTimeout(timer);
        reject(
          new Error(
            `${name} exited (${signal ?? code}) before it was ready:\n${output.slice(-20).join('\n')}`,
          ),
        );
      }
    });
  });
}

/** Sends SIGTERM, and SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(handle, graceMs = 10_000) {
  if (handle.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
    handle.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    handle.child.kill('SIGTERM');
  });
}
