import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Express is only ever imported as types; the server-kit stays a real dependency.
  external: ['express', '@cohorly/core', '@cohorly/server-kit'],
});
