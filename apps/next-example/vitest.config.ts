import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'next-example',
    include: ['test/**/*.test.ts'],
    // `next build` runs once in beforeAll when .next is missing or stale (10-60 s on a busy
    // machine); each test drives the real `next start` over HTTP.
    hookTimeout: 240_000,
    testTimeout: 30_000,
  },
});
