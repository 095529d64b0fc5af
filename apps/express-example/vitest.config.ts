import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'express-example',
    include: ['e2e/**/*.test.ts'],
    // The tests start `node dist/server.js`, as production would: build it when it is stale.
    globalSetup: ['./vitest.global-setup.ts'],
    // Each test starts the app as a child process; a shared machine can be slow to do so.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
