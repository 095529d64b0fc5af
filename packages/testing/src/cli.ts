#!/usr/bin/env node
import { parseDevServerArgs, USAGE, UsageError } from './cli-options.js';
import { EventLogWriter, readEventLog } from './data-file.js';
import { formatEventLine } from './dev-server-log.js';
import { startTestServer, type TestServer } from './test-server.js';

// Shutdown must not hang on something unforeseen; past this, exit with a failure.
const SHUTDOWN_DEADLINE_MS = 5000;

// A reader that goes away (`cohorly-dev-server | head -n1`, a script that read the URL and
// closed the pipe) must not take the server down with an unhandled EPIPE: it stops printing
// and goes on serving, and storing events in --data.
let printing = true;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') fail(error);
  printing = false;
});

/** Writes to stdout while someone reads it. */
function print(text: string): void {
  if (printing) process.stdout.write(text);
}

async function main(args: readonly string[]): Promise<void> {
  let options: ReturnType<typeof parseDevServerArgs>;
  try {
    options = parseDevServerArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`cohorly-dev-server: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    print(USAGE);
    return;
  }

  let server: TestServer | undefined;
  let writer: EventLogWriter | undefined;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      process.stderr.write('cohorly-dev-server: shutdown timed out\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await server?.close();
    await writer?.close();
    print(`cohorly-dev-server stopped (${signal})\n`);
    // Nothing is left on the event loop, so the process ends by itself once stdout drains.
    process.exitCode = 0;
  };
  // Installed before the URL is printed: whoever reads it may signal at once, and a signal
  // without a handler would kill the process before the data file is flushed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch(fail);
    });
  }

  const { dataFile } = options;
  const log = dataFile === undefined ? undefined : await readEventLog(dataFile);
  writer = dataFile === undefined ? undefined : await EventLogWriter.open(dataFile);
  server = await startTestServer({
    port: options.port,
    host: options.host,
    tokens: options.tokens,
    initialEvents: log?.events ?? [],
  });
  server.onEvent((event) => {
    print(`${formatEventLine(event)}\n`);
    writer?.append(event, (error) => {
      process.stderr.write(`cohorly-dev-server: cannot write ${dataFile}: ${error}\n`);
    });
  });
  if (stopping) {
    // A signal came while starting, before there was a server to close: close it here.
    await server.close();
    await writer?.close();
    return;
  }

  // The first line is the URL: scripts and tests read it to find a port chosen with --port 0.
  print(`cohorly-dev-server listening on ${server.url}\n`);
  print(`open ${server.url}/ to watch events live\n`);
  if (log !== undefined) {
    const count = log.events.length;
    print(`loaded ${count} event${count === 1 ? '' : 's'} from ${dataFile}\n`);
    if (log.invalidLines.length > 0) {
      process.stderr.write(
        `cohorly-dev-server: skipped unreadable lines ${log.invalidLines.join(', ')} of ${dataFile}\n`,
      );
    }
  }
  if (options.tokens !== undefined) {
    print(`accepting tokens: ${options.tokens.join(', ')}\n`);
  }
}

function fail(error: unknown): void {
  process.stderr.write(`cohorly-dev-server: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}

main(process.argv.slice(2)).catch(fail);
