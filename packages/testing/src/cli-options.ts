import { parseArgs } from 'node:util';

/** What `cohorly-dev-server` was asked to do. */
export interface DevServerOptions {
  /** Port to listen on (`--port`). */
  port: number;
  /** Interface to listen on (`--host`). */
  host: string;
  /** Accepted project tokens (`--token`, repeatable); `undefined` accepts any. */
  tokens: string[] | undefined;
  /** File that accepted events are appended to and reloaded from (`--data`). */
  dataFile: string | undefined;
  /** `--help` was given. */
  help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: cohorly-dev-server [options]

A local Cohorly-compatible server (POST /track, /engage, /alias) that prints every
accepted event. Point an SDK's apiHost at the URL it prints, and open that URL in a
browser to watch events arrive live.

Options:
  -p, --port <port>    port to listen on; 0 picks a free one       (default: 4000)
      --host <host>    interface to listen on                      (default: 127.0.0.1)
  -t, --token <token>  accept only this project token; repeat for several
                       (default: accept any token)
  -d, --data <file>    append accepted events to <file> as JSON lines and reload them
                       on start, so deduplication survives a restart
  -h, --help           print this help
`;

/** A command line that cannot be run; the message says why. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses the arguments of `cohorly-dev-server` (without `node` and the script). */
export function parseDevServerArgs(args: readonly string[]): DevServerOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const port = Number(values.port ?? '4000');
  if (!/^\d+$/.test(values.port ?? '4000') || port > 65_535) {
    throw new UsageError(`--port must be a number 0-65535, got ${JSON.stringify(values.port)}`);
  }
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host must not be empty');
  const tokens = values.token;
  if (tokens?.some((token) => token === '')) throw new UsageError('--token must not be empty');
  // An empty path (`--data "$UNSET_VAR"`) would fail later with a bare ENOENT.
  if (values.data === '') throw new UsageError('--data must not be empty');
  return {
    port,
    host,
    tokens: tokens === undefined || tokens.length === 0 ? undefined : tokens,
    dataFile: values.data,
    help: values.help ?? false,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      token: { type: 'string', short: 't', multiple: true },
      data: { type: 'string', short: 'd' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
