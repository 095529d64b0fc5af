// A server-sent events reader for this package's own tests (not exported, not bundled).

/** One frame of an event stream, as the EventSource parsing rules read it. */
export interface SseFrame {
  /** Comment lines (`: text`), without the colon and the space. */
  comments: string[];
  /** The `event:` field, when present. */
  event?: string;
  /** The `id:` field, when present. */
  id?: string;
  /** The `retry:` field, when present. */
  retry?: string;
  /** `data:` lines joined with newlines, when present. */
  data?: string;
}

/** An open `GET` of an event stream. */
export interface SseConnection {
  /** The response (status and headers). */
  response: Response;
  /** Everything received so far, as text. */
  text(): string;
  /** The complete frames received so far. */
  frames(): SseFrame[];
  /**
   * Resolves with the frames once `done` accepts them; rejects when the stream ends first
   * or after `timeoutMs`.
   */
  until(done: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
  /** Resolves when the server ends the stream (or the connection breaks). */
  ended: Promise<void>;
  /** Disconnects, as a browser tab closing would. */
  close(): void;
}

/** Splits stream text into complete frames (an unfinished last frame is left out). */
export function parseFrames(text: string): SseFrame[] {
  const blocks = text.split(/\r\n\r\n|\n\n|\r\r/);
  blocks.pop();
  return blocks.map((block) => {
    const frame: SseFrame = { comments: [] };
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith(':')) {
        frame.comments.push(line.slice(1).trimStart());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event' || field === 'id' || field === 'retry') frame[field] = value;
    }
    if (data.length > 0) frame.data = data.join('\n');
    return frame;
  });
}

/** Opens `url` as an event stream; resolves once the response headers arrived. */
export async function openStream(url: string): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream' },
    signal: abort.signal,
  });
  let text = '';
  const listeners = new Set<() => void>();
  let finished = false;
  const ended = (async () => {
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        for (const listener of [...listeners]) listener();
      }
    } catch {
      // Aborted by close(), or the connection broke: either way the stream is over.
    } finally {
      finished = true;
      for (const listener of [...listeners]) listener();
    }
  })();

  const until = (done: (frames: SseFrame[]) => boolean, timeoutMs = 5000) =>
    new Promise<SseFrame[]>((resolve, reject) => {
      const check = (): void => {
        const frames = parseFrames(text);
        if (done(frames)) {
          stop();
          resolve(frames);
        } else if (finished) {
          stop();
          reject(new Error(`the stream ended before the expected frames; received:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no expected frames after ${timeoutMs} ms; received:\n${text}`));
      }, timeoutMs);
      const stop = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    response,
    text: () => text,
    frames: () => parseFrames(text),
    until,
    ended,
    close: () => abort.abort(),
  };
}
