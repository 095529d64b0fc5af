import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'runtimes',
    include: ['test/**/*.test.ts'],
    // Each script is killed at 8 s (test/support/scenario.ts) and workerd at its own limit:
    // these only bound a hang. A run takes well under a second per test.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
