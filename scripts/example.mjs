#!/usr/bin/env node
// The README's main job until `pnpm demo` lands: starts a local Cohorly-compatible server,
// tracks a small scenario with @cohorly/core, and prints what the server received.
import { BufferedConsumer, Cohorly } from '../packages/core/dist/index.js';
import { startTestServer } from '../packages/testing/dist/index.js';

const server = await startTestServer();
server.onEvent((event) => {
  console.log(
    `  received  ${event.event.padEnd(12)} ${event.distinctId.padEnd(6)}  ${JSON.stringify(event.properties.plan ?? event.properties.amount ?? '')}`,
  );
});
console.log(`Cohorly test server on ${server.url}`);

const cohorly = new Cohorly('example-token', {
  consumer: new BufferedConsumer({ apiHost: server.url, maxSize: 10 }),
});
for (const [user, plan] of [
  ['ada', 'pro'],
  ['grace', 'free'],
  ['linus', 'pro'],
]) {
  await cohorly.track(user, 'Signed Up', { plan });
  await cohorly.peopleSet(user, { plan, signed_up_at: new Date() });
}
await cohorly.track('ada', 'Checkout', { amount: 42.5, items: ['book', 'pen'] });
await cohorly.alias('ada@example.com', 'ada');

const report = await cohorly.close({ timeoutMs: 5000 });
console.log(
  `\nclose(): sent ${report.sent}, undelivered ${report.undelivered}, drained ${report.drained}`,
);
console.log(
  `server: ${server.events().length} events, ${server.profiles().length} profiles, ${server.aliases().length} aliases`,
);
await server.close();
