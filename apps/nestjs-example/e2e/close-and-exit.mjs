// Runs the built AppModule in a process of its own, the way a script or a test harness would:
// start, serve a few requests, `await app.close()`, and then end by itself. If anything
// (a timer, a socket) outlived app.close(), the process would not exit and the test would
// have to kill it.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../dist/app.module.js';

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
for (const user of (process.env.USERS ?? '').split(',')) {
  const response = await fetch(`${url}/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'closing' }),
  });
  console.log(`${user}: ${response.status}`);
}
await app.close();
console.log('closed');
