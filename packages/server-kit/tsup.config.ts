import { defineConfig } from 'tsup';

export default defineConfig({
  // `node` holds the AsyncLocalStorage request context; the main entry stays web-standard
  // so that edge code (the Next.js package) can use it.
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
