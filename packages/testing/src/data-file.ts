import { type FileHandle, open, readFile } from 'node:fs/promises';
import type { StoredEvent } from './event-store.js';
import { isNonEmptyString, isPlainObject } from './plain-object.js';

/** What {@link readEventLog} found in a data file. */
export interface EventLog {
  /** The events, in file order. */
  events: StoredEvent[];
  /** 1-based numbers of the lines that were not a stored event (a crash mid-write, an edit). */
  invalidLines: number[];
}

/** Reads a JSON-lines file of stored events; a file that does not exist holds none. */
export async function readEventLog(file: string): Promise<EventLog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], invalidLines: [] };
    throw error;
  }
  const events: StoredEvent[] = [];
  const invalidLines: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const event = parseStoredEvent(line);
    if (event === undefined) invalidLines.push(index + 1);
    else events.push(event);
  });
  return { events, invalidLines };
}

function parseStoredEvent(line: string): StoredEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const { event, distinctId, token, properties, meta, receivedAt } = value;
  if (!isNonEmptyString(event) || !isNonEmptyString(distinctId) || !isNonEmptyString(token)) {
    return undefined;
  }
  if (!isPlainObject(properties) || typeof receivedAt !== 'number') return undefined;
  const insertId = properties.$insert_id;
  return {
    event,
    distinctId,
    token,
    properties,
    // JSON drops `undefined`: the insert id is read back from the properties it came from.
    insertId: isNonEmptyString(insertId) ? insertId : undefined,
    meta: isPlainObject(meta) ? meta : {},
    receivedAt,
  };
}

/** Appends stored events to a JSON-lines file, one write at a time, in order. */
export class EventLogWriter {
  readonly #handle: FileHandle;
  #writes: Promise<void> = Promise.resolve();
  #failure: unknown;
  #closing: Promise<void> | undefined;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Opens `file` for appending, creating it when needed. Fails at once when it cannot. */
  static async open(file: string): Promise<EventLogWriter> {
    const handle = await open(file, 'a+');
    const { size } = await handle.stat();
    if (size > 0) {
      // A crash mid-write leaves a partial last line; the next event must not be glued to it.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.appendFile('\n');
    }
    return new EventLogWriter(handle);
  }

  /** Queues one event for writing; `onError` hears of the first failed write. */
  append(event: StoredEvent, onError: (error: unknown) => void): void {
    const line = `${JSON.stringify(event)}\n`;
    this.#writes = this.#writes.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        await this.#handle.appendFile(line);
      } catch (error) {
        this.#failure = error;
        onError(error);
      }
    });
  }

  /** Waits for every queued write, then closes the file; safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= this.#writes.then(() => this.#handle.close());
    return this.#closing;
  }
}
