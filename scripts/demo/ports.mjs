import { createServer } from 'node:net';

/** Resolves `true` when `port` on 127.0.0.1 can be listened on right now. */
function isFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1, chosen by the system. */
export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `preferred` when it is free, else any free port. */
export async function preferredPort(preferred) {
  return (await isFree(preferred)) ? preferred : freePort();
}
