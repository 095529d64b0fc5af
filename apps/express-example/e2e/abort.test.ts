import { describe, expect, it } from 'vitest';
import { call } from './app-process.js';
import { startAppFor, useCohorlyServer } from './cohorly-fixture.js';

describe('a request the client aborts', () => {
  const cohorlyServer = useCohorlyServer();

  it('still delivers its events, including those tracked after the client left', async () => {
    const cohorly = cohorlyServer();
    // 1000 rows at 50 ms each: the export is still running when the client gives up.
    const app = await startAppFor(cohorly, { EXPORT_ROW_DELAY_MS: '50' });
    const abort = new AbortController();
    const response = await fetch(`${app.url}/orders/export?rows=1000`, {
      headers: { authorization: 'Bearer user-1' },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('row,order_id,total');
    abort.abort();

    const events = await cohorly.waitForEvents({ distinctId: 'user-1' }, { count: 2 });
    expect(events.map((e) => e.event)).toEqual(['Orders Export Started', 'Orders Export Aborted']);
    expect(events[0]!.properties).toMatchObject({ rows: 1000, $path: '/orders/export' });
    expect(events[1]!.properties.rowsSent).toBeLessThan(1000);

    // The app is unharmed.
    expect((await call(`${app.url}/healthz`)).status).toBe(200);
    expect(app.output()).not.toContain('unhandledRejection');
  });
});
