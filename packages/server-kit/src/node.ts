export { currentTracker, outsideRequest, runWithTracker } from './request-context.js';
export { createNodeFetch, withNodeFetch } from './node-fetch.js';
export type { NodeFetch, NodeFetchOptions } from './node-fetch.js';
export { nodeRequestHeader } from './node-request-header.js';
export type { NodeRequestHeaders } from './node-request-header.js';
export { flushOnResponseClose } from './response-close.js';
export type { ClosingResponse } from './response-close.js';
export { NodeFetchResponse } from './node-fetch-response.js';
export type { NodeFetchHeaders } from './node-fetch-response.js';
