import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'next',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Tests talk HTTP to a real test server on 127.0.0.1 and run the built package in
    // child processes; none waits on wall time.
    testTimeout: 20_000,
  },
});
