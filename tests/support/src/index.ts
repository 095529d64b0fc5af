// Scaffolding shared by this repository's tests. Consumed as TypeScript source (vitest
// transforms it, tsc checks it with each consumer's tests), so there is nothing to build.
export {
  CONTRACT_FAULT_CASE,
  expectBackedOff,
  expectDeliveredOnceOrDropped,
} from './contract-fault-case.js';
export type { BackedOff, DeliveredOnceOrDropped } from './contract-fault-case.js';
export { describeContractFaults } from './describe-contract-faults.js';
export type { MountedIntegration, MountIntegration } from './describe-contract-faults.js';
export { describeFaultStorm } from './describe-fault-storm.js';
export type { FaultStormTarget, StormApp } from './describe-fault-storm.js';
export { expectAttributedToOwnUser } from './expect-attributed-to-own-user.js';
export type { AttributionRun } from './expect-attributed-to-own-user.js';
export { createFaultConsumer } from './fault-consumer.js';
export type { GatedFetch } from './gated-fetch.js';
export { getWithHeaders } from './get-with-headers.js';
export { gatedFetch } from './gated-fetch.js';
export type { FaultConsumer, FaultConsumerOptions } from './fault-consumer.js';
export { useFaultScene } from './fault-scene.js';
export type { FaultScene, FaultSceneOptions } from './fault-scene.js';
export {
  expectNewestDelivered,
  expectOverflowDropped,
  QUEUE_CAP_OUTAGE,
} from './queue-cap-outage.js';
export { randomPause } from './random-pause.js';
export { seededRandom } from './seeded-random.js';
export { serve } from './serve.js';
export type { Served } from './serve.js';
