import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

// Cohorly never rejects a promise it hands out; this would show it if it ever did.
process.on('unhandledRejection', (reason) => {
  new Logger('Process').error(`unhandledRejection: ${String(reason)}`);
});

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
// SIGTERM / SIGINT run the shutdown hooks, where Cohorly delivers what is still queued. Named:
// with no argument Nest binds every signal, and Deno refuses some of them (SIGILL) at startup.
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
const port = Number(app.get(ConfigService).get<string>('PORT', '3000'));
await app.listen(port, '127.0.0.1');
const { port: listening } = app.getHttpServer().address() as AddressInfo;
console.log(`listening on http://127.0.0.1:${listening}`);
