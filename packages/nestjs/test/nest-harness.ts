import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** The two HTTP platforms the package supports. */
export type Platform = 'express' | 'fastify';

export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** A Nest app listening on 127.0.0.1, on a free port. */
export interface RunningApp {
  app: INestApplication;
  url: string;
  /** `app.close()`, once. */
  close(): Promise<void>;
}

/** Creates `module` on `platform` and listens on 127.0.0.1 port 0. */
export async function startApp(module: Type<unknown>, platform: Platform): Promise<RunningApp> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(module, adapter, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as { address(): { port: number } };
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}

/** `fetch` with an optional `Authorization: Bearer <user>` header. */
export function request(
  url: string,
  options: {
    user?: string;
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.user) headers.authorization = `Bearer ${options.user}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}
