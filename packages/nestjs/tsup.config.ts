import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // No decorator syntax in the sources (Nest's decorators are applied as plain calls), so the
  // build needs neither SWC nor emitted design-type metadata: what Nest's injector reads is
  // written by those calls when the module loads, in both the ESM and the CommonJS output.
  tsconfig: 'tsconfig.build.json',
  external: [/^@nestjs\//, 'rxjs', 'reflect-metadata', '@cohorly/core', '@cohorly/server-kit'],
});
