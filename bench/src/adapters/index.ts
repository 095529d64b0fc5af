import type { Adapter, AdapterOptions, SdkName } from './types.js';

/** No SDK at all: the bare-Express baseline. */
function createNone(): Adapter {
  return {
    track: () => undefined,
    trackAwaited: () => Promise.resolve(),
    close: () => Promise.resolve(),
    errors: () => 0,
  };
}

/**
 * Builds the adapter of `sdk`, importing only that SDK: a child process's memory and
 * start-up then belong to the SDK it measures.
 */
export async function createAdapter(sdk: SdkName, options: AdapterOptions): Promise<Adapter> {
  switch (sdk) {
    case 'cohorly':
      return (await import('./cohorly.js')).createCohorly(options);
    case 'cohorly-node': {
      const { createNodeFetch } = await import('@cohorly/server-kit/node');
      return (await import('./cohorly.js')).createCohorly(options, createNodeFetch());
    }
    case 'posthog':
      return (await import('./posthog.js')).createPosthog(options);
    case 'segment':
      return (await import('./segment.js')).createSegment(options);
    case 'mixpanel':
      return (await import('./mixpanel.js')).createMixpanel(options);
    case 'raw':
      return (await import('./raw.js')).createRaw(options);
    case 'none':
      return createNone();
  }
}
