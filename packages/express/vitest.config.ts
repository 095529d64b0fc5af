import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'express',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Real Express apps and a real Cohorly test server on 127.0.0.1; nothing sleeps, but a
    // shared machine can be slow to schedule a few hundred sockets.
    testTimeout: 20_000,
  },
});
