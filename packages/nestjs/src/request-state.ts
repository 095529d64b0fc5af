import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import type { CohorlyRequest } from './cohorly-request.js';

/** The Node request: Express's request is one; Fastify's wraps one as `request.raw`. */
export type RawRequest = IncomingMessage & { originalUrl?: string; ip?: string };

/**
 * What the integration knows of one request. It starts in the middleware with the Node
 * request only; the module's global guard, before your guards, adds the platform's request
 * and the handler's context (and its interceptor does again). Identity is resolved when an
 * event is tracked, so `req.user` set by a guard is there for what is tracked after it.
 */
export interface NestRequestState {
  /** The Node request; `undefined` for work outside requests. */
  readonly raw: RawRequest | undefined;
  /** The platform's request object, once the module's guard (or interceptor) has run. */
  request: CohorlyRequest | undefined;
  /** The route handler's execution context, once known. */
  context: ExecutionContext | undefined;
}

/** The state of work done outside any request (jobs, queue consumers, startup). */
export function backgroundState(): NestRequestState {
  return { raw: undefined, request: undefined, context: undefined };
}

/** The request user callbacks receive: the platform's once known, else the Node request. */
export function requestOf(state: NestRequestState): CohorlyRequest | undefined {
  return state.request ?? (state.raw as unknown as CohorlyRequest | undefined);
}

/**
 * The request with `url` as the client sent it. Fastify's middleware engine cuts the matched
 * route prefix off the Node request's `url` while middleware runs (keeping the full one as
 * `originalUrl`), which would make `req.url.startsWith('/health')` silently fail there.
 */
export function withOriginalUrl(req: CohorlyRequest): CohorlyRequest {
  const { originalUrl } = req as { originalUrl?: unknown };
  if (typeof originalUrl !== 'string' || originalUrl === req.url) return req;
  // A view over the request, not a copy: everything else reads through to it.
  return Object.create(req, { url: { value: originalUrl, enumerable: true } }) as CohorlyRequest;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function unwrapped(value: unknown): object | undefined {
  if (!isObject(value)) return undefined;
  // Fastify's request and reply hold the Node objects as `raw`; Express's are the Node objects.
  const inner = (value as { raw?: unknown }).raw;
  return isObject(inner) ? inner : value;
}

/**
 * The Node request behind a platform request (Express or Fastify), or `undefined` when `value`
 * is none: a handler called through Nest's `ExternalContextCreator` (message handlers of
 * Discord, NATS or Telegram libraries) has an `'http'` context whose "request" is its first
 * argument, a message or nothing at all.
 */
export function rawRequestOf(value: unknown): RawRequest | undefined {
  const raw = unwrapped(value);
  return raw && isObject((raw as { headers?: unknown }).headers) ? (raw as RawRequest) : undefined;
}

/**
 * The Node response behind a platform response (Express's `Response`, Fastify's reply), or
 * `undefined` when `value` is none (see {@link rawRequestOf}).
 */
export function rawResponseOf(value: unknown): ServerResponse | undefined {
  const raw = unwrapped(value);
  return raw && typeof (raw as { on?: unknown }).on === 'function'
    ? (raw as ServerResponse)
    : undefined;
}
