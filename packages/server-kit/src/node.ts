export { currentTracker, runWithTracker } from './request-context.js';
