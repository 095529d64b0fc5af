import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'nestjs',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    globalSetup: ['./vitest.global-setup.ts'],
    // Real Nest apps (in process, and built ones as child processes) and a real Cohorly test
    // server on 127.0.0.1; nothing sleeps, but a shared 2-core machine can be slow to boot Nest.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
