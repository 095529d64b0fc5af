import type { AnyEvents, CohorlyClient, EventCatalog, Properties } from '@cohorly/core';
import {
  type CohorlyIntegration,
  type RequestTracker,
  type TrackOptions,
  type TrackerArgs,
  reportError,
} from '@cohorly/server-kit';
import { currentTracker } from '@cohorly/server-kit/node';
import { Inject, Injectable } from '@nestjs/common';
import { backgroundState, type NestRequestState } from './request-state.js';
import { COHORLY_INTEGRATION } from './tokens.js';

const done = Promise.resolve();

/**
 * Cohorly, injectable anywhere. During a request, events and profile updates go to that
 * request's user (`identify(req, context)`, else the anonymous id), with the request's
 * properties; outside one (jobs, queue consumers, startup) pass `{ distinctId }`. Its methods
 * never throw and their promises never reject: failures go to `onError`. Give it your event
 * catalog to have `track` checked: `constructor(private cohorly: CohorlyService<MyEvents>)`.
 */
export class CohorlyService<Events extends EventCatalog<Events> = AnyEvents> {
  // Work outside requests goes through a tracker with no request, whose response has
  // "closed" already: each event it tracks schedules its own coalesced flush.
  private readonly background: RequestTracker<Events>;

  /** Created by Nest's injector, from the module's integration: inject the service instead. */
  constructor(private readonly integration: CohorlyIntegration<NestRequestState>) {
    const scope = integration.begin<Events>(backgroundState());
    scope.closed();
    this.background = scope.tracker;
  }

  /** The Cohorly client, for what a request-bound service does not cover (`importData`). */
  get client(): CohorlyClient {
    return this.integration.client;
  }

  /** The current request's distinct id, or `undefined` (no user, or outside a request). */
  get distinctId(): string | undefined {
    return currentTracker()?.distinctId;
  }

  /**
   * Uses `distinctId` for the rest of the current request (after a sign-up or a login); a
   * number (a database key) is taken as its text. Outside a request there is nothing to
   * identify: `onError` says so.
   */
  identify(distinctId: string | number): void {
    const tracker = currentTracker();
    if (tracker) tracker.identify(distinctId);
    else this.outsideRequest('identify()', 'had no effect', 'pass { distinctId } to each call');
  }

  /**
   * Tracks an event: `track(event, properties?, { distinctId? })`. During a request it goes
   * to the request's user unless `distinctId` is given; outside one `distinctId` is required.
   */
  track<E extends keyof Events & string>(event: E, ...args: TrackerArgs<Events, E>): Promise<void> {
    const options = args[1] as TrackOptions | undefined;
    return this.trackerFor(`track("${event}")`, options)?.track(event, ...args) ?? done;
  }

  /** Links `aliasId` to `original`: by default the current request's distinct id. */
  alias(aliasId: string, original?: string): Promise<void> {
    return this.trackerFor('alias()', { distinctId: original })?.alias(aliasId, original) ?? done;
  }

  /** Sets profile properties of the request's user (or of `options.distinctId`). */
  peopleSet(properties: Properties, options?: TrackOptions): Promise<void> {
    return this.trackerFor('peopleSet()', options)?.peopleSet(properties, options) ?? done;
  }

  /** Sets profile properties that are not set yet. */
  peopleSetOnce(properties: Properties, options?: TrackOptions): Promise<void> {
    return this.trackerFor('peopleSetOnce()', options)?.peopleSetOnce(properties, options) ?? done;
  }

  /** Adds the given amounts to numeric profile properties. */
  peopleIncrement(properties: Record<string, number>, options?: TrackOptions): Promise<void> {
    return (
      this.trackerFor('peopleIncrement()', options)?.peopleIncrement(properties, options) ?? done
    );
  }

  /** Removes the named profile properties. */
  peopleUnset(propertyNames: string[], options?: TrackOptions): Promise<void> {
    return this.trackerFor('peopleUnset()', options)?.peopleUnset(propertyNames, options) ?? done;
  }

  /** Deletes the profile. */
  peopleDelete(options?: TrackOptions): Promise<void> {
    return this.trackerFor('peopleDelete()', options)?.peopleDelete(options) ?? done;
  }

  /**
   * Delivers what is queued now, sharing a flush already in flight; never rejects. Requests'
   * events are flushed on their own (soon after tracking, or when the response closes with
   * `flush: 'on-close'`), and the module flushes on shutdown: call this at the end of a job
   * that must not wait.
   */
  flush(): Promise<void> {
    return this.integration.flush();
  }

  private trackerFor(
    what: string,
    options: TrackOptions | undefined,
  ): RequestTracker<Events> | undefined {
    const tracker = currentTracker<Events>();
    if (tracker) return tracker;
    // Options with anything in them go to the background tracker: it sends to their
    // distinctId, or reports what is wrong with them by name (`{ distinct_id }` or an id
    // passed bare, which "called outside a request" would not explain).
    if (options !== undefined && !isEmpty(options)) return this.background;
    this.outsideRequest(what, 'was not sent', 'pass { distinctId } outside requests');
    return undefined;
  }

  private outsideRequest(what: string, outcome: string, hint: string): void {
    reportError(
      this.integration.onError,
      new Error(
        `CohorlyService.${what} ${outcome}: it was called outside a request handled by CohorlyModule, so there is no request user (${hint})`,
      ),
    );
  }
}

/** Options that say nothing: `{}`, `{ distinctId: undefined }`. */
function isEmpty(options: unknown): boolean {
  return (
    typeof options === 'object' &&
    options !== null &&
    Object.values(options).every((value) => value === undefined)
  );
}

Injectable()(CohorlyService);
Inject(COHORLY_INTEGRATION)(CohorlyService, undefined, 0);
