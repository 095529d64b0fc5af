import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The example is one app of a pnpm monorepo: trace files from the repository root.
  turbopack: { root: new URL('../..', import.meta.url).pathname },
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default nextConfig;
