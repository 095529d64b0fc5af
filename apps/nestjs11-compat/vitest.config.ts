import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'nestjs11-compat',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // Built Nest apps as child processes and a real Cohorly test server on 127.0.0.1.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
