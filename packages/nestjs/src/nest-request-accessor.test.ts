import { getWithHeaders } from '@cohorly/test-support';
import { startTestServer } from '@cohorly/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../test/nest-harness.js';
import { useShop } from '../test/shop-under-test.js';

// One Cohorly test server for the whole file, started as it loads.
const server = await startTestServer();
afterAll(() => server.close());

describe.each(PLATFORMS)('the request accessor on %s', (platform) => {
  const shop = useShop(platform, server);

  it('reads the first anonymous id of a header sent twice, not a third user made of both', async () => {
    // Node joins the two into "anon-a, anon-b" in the request's headers.
    const status = await getWithHeaders(`${shop.url}/viewed/home`, {
      'x-cohorly-anonymous-id': ['anon-a', 'anon-b'],
    });

    expect(status).toBe(200);
    const [event] = await server.waitForEvents({ event: 'Page Viewed' }, { timeoutMs: 10_000 });
    expect(event!.distinctId).toBe('anon-a');
    expect(shop.errors).toEqual([]);
  });
});
