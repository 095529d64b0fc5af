import { describe, expect, it } from 'vitest';
import { call, oneItemCart } from './app-process.js';
import { startAppFor, useCohorlyServer } from './cohorly-fixture.js';

const IN_FLIGHT = 50;

interface SentEvent {
  event: string;
  properties: { distinct_id: string; $insert_id: string };
}

describe('SIGTERM while serving traffic', () => {
  const cohorlyServer = useCohorlyServer();

  it('delivers every event of every request that succeeded, once, and exits', async () => {
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly, { EXPORT_ROW_DELAY_MS: '20' });
    const exporters = Array.from({ length: IN_FLIGHT }, (_, i) => `exporter-${i}`);
    // 50 exports streaming their rows: every one of them is in flight when SIGTERM comes.
    const exports = await Promise.all(
      exporters.map((user) =>
        fetch(`${app.url}/orders/export?rows=20`, { headers: { authorization: `Bearer ${user}` } }),
      ),
    );
    expect(exports.map((response) => response.status)).toEqual(exporters.map(() => 200));

    const exiting = app.stop('SIGTERM');
    // More customers arrive after the signal: served or refused, never a crash.
    const late = Array.from({ length: 20 }, (_, i) => `late-${i}`).map(async (user) => {
      const response = await call(`${app.url}/checkout`, {
        body: oneItemCart(),
        headers: { authorization: `Bearer ${user}` },
      }).catch(() => undefined);
      return response?.status === 201 ? user : undefined;
    });
    const csvs = await Promise.all(exports.map((response) => response.text().catch(() => '')));
    const served = (await Promise.all(late)).filter((user) => user !== undefined);

    expect(await exiting).toEqual({ code: 0, signal: null });
    // The app lets requests in progress finish before it stops.
    expect(csvs.map((csv) => csv.trim().split('\n').length)).toEqual(exporters.map(() => 21));
    const expected = [
      ...exporters.flatMap((user) => [
        `${user} / Orders Export Started`,
        `${user} / Orders Export Completed`,
      ]),
      ...served.map((user) => `${user} / Checkout Completed`),
    ];
    const accepted = cohorly
      .requests()
      .filter((request) => request.path === '/track' && request.status === 200)
      .flatMap((request) => request.json as SentEvent[]);
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(
      accepted.map((event) => `${event.properties.distinct_id} / ${event.event}`).sort(),
    ).toEqual(expected.sort());
    expect(app.output()).toMatch(/cohorly: \d+ messages delivered, 0 undelivered/);
    expect(app.output()).not.toContain('unhandledRejection');
  });
});
