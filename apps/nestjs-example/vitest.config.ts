import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'nestjs-example',
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // The built app runs as a child process against a real Cohorly test server on 127.0.0.1.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
