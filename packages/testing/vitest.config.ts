import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'testing',
    include: ['src/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // Tests start real servers and child processes on 127.0.0.1; none waits on wall time
    // except the few real request timeouts, kept to a few hundred milliseconds.
    testTimeout: 20_000,
  },
});
