import type { ServerResponse } from 'node:http';
import type { EventStore, StoredEvent } from './event-store.js';
import type { EventViews } from './event-views.js';

/** How often an open stream gets a comment line, so proxies and browsers keep it open. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

/**
 * A client that stops reading (a frozen tab, a paused debugger) would make the server buffer
 * every event for it; past this many unsent bytes it is dropped. A browser reconnects by
 * itself and reloads the snapshot, so nothing is lost for the user.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Tells a browser how long to wait before reconnecting after the stream ends. */
const RETRY_MS = 2000;

interface Client {
  response: ServerResponse;
  matches: (event: StoredEvent) => boolean;
}

/**
 * Server-sent events fan-out for `GET /api/stream`: each stored event goes to every open
 * stream whose filter it matches, as an `event: stored` frame whose `id` is the event's
 * {@link EventView} id and whose `data` is the view as JSON.
 */
export class EventStream {
  readonly #views: EventViews;
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: () => void;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(store: EventStore, views: EventViews) {
    this.#views = views;
    this.#unsubscribe = store.subscribe((event) => this.#publish(event));
  }

  /** How many streams are open. */
  get size(): number {
    return this.#clients.size;
  }

  /** Answers `response` with an open event stream of the events `matches` accepts. */
  attach(response: ServerResponse, matches: (event: StoredEvent) => boolean): void {
    if (this.#closed) {
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('the server is closing\n');
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise hold frames back in their buffers.
      'X-Accel-Buffering': 'no',
    });
    // Written at once so the client sees the headers (EventSource `open`) before any event.
    response.write(`: connected\nretry: ${RETRY_MS}\n\n`);
    const client: Client = { response, matches };
    this.#clients.add(client);
    response.once('close', () => this.#detach(client));
    this.#heartbeat ??= setInterval(
      () => this.#broadcast(': heartbeat\n\n'),
      HEARTBEAT_INTERVAL_MS,
    );
    // A page left open in a browser must not keep a test process (or the CLI) alive.
    this.#heartbeat.unref();
  }

  /** Tells every open stream that the server forgot its events (`server.reset()`). */
  reset(): void {
    this.#broadcast('event: reset\ndata: {}\n\n');
  }

  /** Ends every open stream and refuses new ones; safe to call more than once. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const client of [...this.#clients]) {
      this.#detach(client);
      client.response.end();
    }
  }

  #publish(event: StoredEvent): void {
    if (this.#clients.size === 0) return;
    // Built once for every client; JSON text holds no raw newline, so one `data:` line.
    const view = this.#views.view(event);
    const text = `id: ${view.id}\nevent: stored\ndata: ${JSON.stringify(view)}\n\n`;
    for (const client of [...this.#clients]) {
      if (client.matches(event)) this.#write(client, text);
    }
  }

  #broadcast(text: string): void {
    for (const client of [...this.#clients]) this.#write(client, text);
  }

  #write(client: Client, text: string): void {
    const { response } = client;
    if (response.destroyed || response.writableEnded) {
      this.#detach(client);
      return;
    }
    response.write(text);
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      this.#detach(client);
      response.destroy();
    }
  }

  #detach(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#heartbeat !== undefined) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
