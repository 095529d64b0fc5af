import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'packaging',
    include: ['test/**/*.test.ts'],
    // The tests pack and install the built packages, build a Next.js app and start servers
    // and child processes: make sure every package's dist is current first.
    globalSetup: ['./vitest.global-setup.ts'],
    // Installing the packed packages and `next build` take tens of seconds on a shared
    // 2-core machine; nothing sleeps, these only bound a hang.
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
