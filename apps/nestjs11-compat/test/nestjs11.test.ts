import { fileURLToPath } from 'node:url';
import { describeScenarios } from '../../../packages/nestjs/test/scenarios/scenario-suite.js';

// The same scenarios as the package's NestJS 12 suite, with the app, its NestJS 11 and the
// built @cohorly/nestjs all loaded from CommonJS (laid out by vitest.global-setup.ts).
describeScenarios({
  nest: 11,
  entry: fileURLToPath(new URL('../dist/scenario-app.cjs', import.meta.url)),
});
