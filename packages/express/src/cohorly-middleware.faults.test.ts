// cohorly() end to end through every fault the Cohorly server can answer with, and through an
// outage that outlasts the queue cap: responses never change, every event tracked within the
// cap arrives exactly once (by $insert_id), and every drop is counted and reported. The
// client is handed in with an injected clock, so backoff windows pass without sleeping. The
// suite itself is shared with @cohorly/nestjs (describeContractFaults); the app is ours.
import { Cohorly } from '@cohorly/core';
import { describeContractFaults, serve } from '@cohorly/test-support';
import express from 'express';
import { describe } from 'vitest';
import { TOKEN } from '../test/harness.js';
import { cohorly } from './index.js';

describe('cohorly()', () => {
  describeContractFaults(async (consumer, defer) => {
    const analytics = cohorly({
      client: new Cohorly(TOKEN, { consumer }),
      identify: (req) => req.get('x-user'),
      // Flush rejections of a client we gave are reported here too; the client's own
      // onError is the one that counts.
      onError: () => undefined,
    });
    defer(() => analytics.close({ timeoutMs: 0 }));
    const app = express();
    app.use(analytics);
    app.get('/visit/:user', (req, res) => {
      void req.cohorly.track('Visited', { owner: req.params.user });
      res.json({ user: req.params.user });
    });
    const served = await serve(app);
    defer(() => served.close());
    return { url: served.url, flush: () => analytics.flush() };
  });
});
