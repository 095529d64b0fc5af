import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The same entry runs in the Node.js and the edge runtime: nothing here may need Node.
  platform: 'neutral',
  // `next/*` is the user's copy of Next.js (a peer dependency): never bundled, or after(),
  // headers() and cookies() would not see the request Next.js is handling.
  external: [/^next(\/.*)?$/],
});
