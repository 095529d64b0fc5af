import { startTestServer, type TestServer, type TestServerOptions } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventsAnswered, type SentEvent } from './events-answered.js';
import { STORM_FAULTS } from './storm-faults.js';

/** An example app running as a child process, as a fault storm needs it. */
export interface StormApp {
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

/** An example app and its ways, for {@link describeFaultStorm}. */
export interface FaultStormTarget<App extends StormApp> {
  /** Options of every Cohorly test server of the storm (the first, and the one back). */
  serverOptions?: TestServerOptions;
  /** Starts the app against `server`, once, before the storm. */
  startApp(server: TestServer): Promise<App>;
  /** Stops the app for good after the storm, in whatever state it is; `undefined` if it never started. */
  killApp(app: App | undefined): Promise<void>;
  /**
   * One request as `user` (a checkout, a new project, an order) that tracks each of
   * {@link FaultStormTarget.events} once for `user`: checks that the answer is the usual one.
   */
  act(app: App, user: string): Promise<void>;
  /** The events one act tracks; they are sent together, in one batch. */
  events: readonly string[];
  /**
   * Leaves the events no act tracks (the app's own, such as "Server Started") out of the
   * final tally. @default false: any such event fails it
   */
  ignoreOtherEvents?: boolean;
  /** What the client's lines in the app's output start with, as a regular expression. */
  logPrefix: string;
  /** Waits until the app's output matches `pattern`. @default `vi.waitFor` on `output()` */
  waitForOutput?(app: App, pattern: RegExp): Promise<void>;
  /** How often a wait for delivery checks, and acts again, in ms. @default 200 */
  beatIntervalMs?: number;
  /** Sends the app SIGTERM and checks how it exited and what it printed about it. */
  sigterm(app: App): Promise<void>;
}

/** How an event is known in a storm: `user / event`. */
const key = (distinctId: string, event: string) => `${distinctId} / ${event}`;

/**
 * Runs the built example app, on real time, against a Cohorly server that fails in every way
 * of {@link STORM_FAULTS} in turn, then goes down and comes back on the same port, and
 * finally SIGTERMs it. Every act gets the usual answer throughout; every event of every act
 * arrives exactly once (by `$insert_id`), except a batch the server rejects with 400 (or a
 * lone message over its payload limit), which is dropped and logged. Deliveries come from the
 * app's own flushes, so each outage is short.
 */
export function describeFaultStorm<App extends StormApp>(target: FaultStormTarget<App>): void {
  describe('a Cohorly server failing in every way, then down and back', () => {
    const servers: TestServer[] = [];
    let cohorly: TestServer;
    let app: App;
    let acts = 0;
    let beats = 0;
    /** The events of every act that succeeded, as `user / event`. */
    const expected: string[] = [];
    /** Those the client dropped (400, or 413 on a message alone). */
    const rejected: string[] = [];

    beforeAll(async () => {
      cohorly = await startTestServer(target.serverOptions);
      servers.push(cohorly);
      app = await target.startApp(cohorly);
    });
    afterAll(async () => {
      await target.killApp(app);
      await Promise.all(servers.map((server) => server.close()));
    });

    /** Acts as `user`; the usual answer is checked by the target. */
    async function act(user: string): Promise<void> {
      await target.act(app, user);
      acts += 1;
      expected.push(...target.events.map((event) => key(user, event)));
    }

    /** Whether every event of every act so far is at one of the servers (but those dropped). */
    const allDelivered = () => {
      const arrived = new Set(
        servers.flatMap((server) => server.events().map((e) => key(e.distinctId, e.event))),
      );
      return expected.every((k) => rejected.includes(k) || arrived.has(k));
    };

    /**
     * Waits until every event so far has arrived, with an act now and then (a flush of its
     * own, once a backoff window is over, or should a delivery have given up). Bounded.
     */
    async function waitForDelivery(): Promise<void> {
      await vi.waitFor(
        async () => {
          if (!allDelivered()) await act(`beat-${beats++}`);
          expect(allDelivered()).toBe(true);
        },
        { timeout: 20_000, interval: target.beatIntervalMs ?? 200 },
      );
    }

    const waitForOutput = (pattern: RegExp) =>
      target.waitForOutput
        ? target.waitForOutput(app, pattern)
        : vi.waitFor(() => expect(app.output()).toMatch(pattern));

    /** `/track` requests the current server received since the `since`th request. */
    const trackRequests = (since: number) =>
      cohorly
        .requests()
        .slice(since)
        .filter((request) => request.path === '/track');

    /**
     * Three acts, the first one's delivery held at the server meanwhile: the batch after it,
     * which meets the fault, holds the others (those done in time).
     */
    async function threeActs(since: number): Promise<void> {
      const [first, ...others] = [1, 2, 3].map((n) => `user-${acts}-${n}`);
      await act(first!);
      const held = () => trackRequests(since).some((request) => request.status === null);
      await vi.waitFor(() => expect(held()).toBe(true), { timeout: 10_000 });
      await Promise.all(others.map(act));
    }

    it.each(STORM_FAULTS)('answers as usual through $fault', async ({ step }) => {
      // Every earlier event is in: the fault meets this row's batch, and no other.
      await waitForDelivery();
      const since = cohorly.requests().length;
      cohorly.faults.next('/track', [{ delayMs: 300 }, step]);
      await threeActs(since);

      // The fault is taken as its request arrives; its body is read after.
      await vi.waitFor(
        () => {
          expect(cohorly.faults.pending('/track')).toBe(0);
          expect(trackRequests(since)[1]?.json).toBeDefined();
        },
        { timeout: 10_000 },
      );
      const [, faulted] = trackRequests(since);
      const batch = faulted!.json as SentEvent[];
      // An act's events are delivered together: a batch holds them all.
      expect(batch.length).toBeGreaterThanOrEqual(target.events.length);
      // Dropped and logged, as the contract says: a batch the server rejects, or a message
      // alone over its limit (a 413 on several halves the batch instead).
      if (step.status === 400 || (step.status === 413 && batch.length === 1)) {
        rejected.push(...batch.map((e) => key(e.properties.distinct_id, e.event)));
        await waitForOutput(
          step.status === 400
            ? new RegExp(`${target.logPrefix}.*rejected a batch of ${batch.length} messages`)
            : new RegExp(`${target.logPrefix}.*over the server payload limit; it was dropped`),
        );
      }
      await waitForDelivery();
    });

    it('answers as usual while the server is down, and delivers once it is back on its port', async () => {
      const { port } = cohorly;
      await cohorly.close();
      const logged = app.output().length;
      await Promise.all(['down-1', 'down-2', 'down-3'].map(act));
      // The app's delivery found nobody listening.
      const noAnswer = new RegExp(`${target.logPrefix}.*\\(no answer\\)`);
      await vi.waitFor(() => expect(app.output().slice(logged)).toMatch(noAnswer), {
        timeout: 10_000,
      });

      cohorly = await startTestServer({ ...target.serverOptions, port });
      servers.push(cohorly);
      await waitForDelivery();
    });

    it('delivers the rest on SIGTERM and exits; every event arrived exactly once', async () => {
      await Promise.all(['last-1', 'last-2'].map(act));

      await target.sigterm(app);

      expect(app.output()).not.toContain('unhandledRejection');
      const accepted = servers
        .flatMap((server) => eventsAnswered(server, 200))
        .filter((event) => !target.ignoreOtherEvents || target.events.includes(event.event));
      const ids = accepted.map((event) => event.properties.$insert_id);
      expect(ids.length).toBe(new Set(ids).size);
      expect(rejected.length).toBeGreaterThanOrEqual(target.events.length);
      expect(accepted.map((e) => key(e.properties.distinct_id, e.event)).sort()).toEqual(
        expected.filter((k) => !rejected.includes(k)).sort(),
      );
    });
  });
}
