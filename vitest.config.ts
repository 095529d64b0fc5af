import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project. The JSON report is what .ci/run counts.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'bench/vitest.config.*',
      'tests/*/vitest.config.ts',
    ],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
