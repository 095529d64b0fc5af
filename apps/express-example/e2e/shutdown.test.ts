import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { call, oneItemCart } from './app-process.js';
import { startAppFor, useCohorlyServer } from './cohorly-fixture.js';

describe('SIGTERM', () => {
  const cohorlyServer = useCohorlyServer();

  it('exits with code 0 after delivering every event still queued', async () => {
    // flush 'none': nothing is sent on close, so only the shutdown can deliver these.
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly, { COHORLY_FLUSH: 'none' });
    for (let i = 0; i < 10; i++) {
      const response = await call(`${app.url}/checkout`, {
        body: oneItemCart(i),
        headers: { authorization: 'Bearer user-1' },
      });
      expect(response.status).toBe(201);
    }

    const exit = await app.stop('SIGTERM');

    expect(exit).toEqual({ code: 0, signal: null });
    const events = cohorly.events({ event: 'Checkout Completed', distinctId: 'user-1' });
    expect(events.map((e) => e.properties.total)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(cohorly.profiles()).toMatchObject([
      { distinctId: 'user-1', properties: { orders: 10 } },
    ]);
    expect(app.output()).toContain('cohorly: 20 messages delivered, 0 undelivered');
  });

  it('lets a request in progress finish, then delivers what it tracked', async () => {
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly, { EXPORT_ROW_DELAY_MS: '50' });
    const response = await fetch(`${app.url}/orders/export?rows=10`, {
      headers: { authorization: 'Bearer user-1' },
    });
    const reader = response.body!.getReader();
    await reader.read();

    const exiting = app.stop('SIGTERM');
    let csv = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      csv += new TextDecoder().decode(chunk.value);
    }

    expect(csv.trim().split('\n')).toHaveLength(10);
    expect(await exiting).toEqual({ code: 0, signal: null });
    expect(cohorly.events().map((e) => e.event)).toEqual([
      'Orders Export Started',
      'Orders Export Completed',
    ]);
  });

  it('answers a request that arrives on a busy keep-alive connection during shutdown', async () => {
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly, { EXPORT_ROW_DELAY_MS: '50' });
    const { hostname, port } = new URL(app.url);
    // One connection, as a proxy reuses it: an export streams on it when SIGTERM comes, so it
    // is not idle and stays open, and the proxy sends the next request on it.
    const socket = net.connect(Number(port), hostname);
    onTestFinished(() => {
      socket.destroy();
    });
    let received = '';
    const ended = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('close', () => resolve());
    });
    const get = (path: string) =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer user-1\r\n\r\n`);
    // 60 rows, 50 ms apart: three seconds in which the connection is busy, far more than
    // the test needs to send SIGTERM and the next request.
    get('/orders/export?rows=60');
    await expect.poll(() => received).toContain('HTTP/1.1 200');

    const exiting = app.stop('SIGTERM');
    await app.waitForOutput(/SIGTERM: shutting down/);
    // Its answer is written at once: its headers are out before a later 'request' listener
    // runs, and the shutdown's one must not try to set one then (an uncaught throw).
    get('/products');
    await ended;

    expect(await exiting).toEqual({ code: 0, signal: null });
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((answer) => answer.split('\r\n', 1)[0])).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
    ]);
    expect(answers[1]).toMatch(/\r\nConnection: close\r\n/i);
    expect(
      cohorly
        .events()
        .map((e) => e.event)
        .sort(),
    ).toEqual(['Orders Export Completed', 'Orders Export Started', 'Products Viewed']);
  });
});
