import net from 'node:net';

/** A port free on 127.0.0.1 right now, for a service that must know its URL before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs `start` on a port free right now, and on another if that one was taken before `start` could
 * listen on it. Between the probe closing and `start` listening, anything on the machine may take the
 * port (another process's outgoing connection, a parallel test's server): a listen failing with
 * EADDRINUSE then is bad luck, not a fault. `start` must leave nothing open when it throws.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= attempts || !isAddressInUse(error)) throw error;
    }
  }
}

// Not `instanceof Error`: an error thrown in another realm (a jest sandbox) fails that test.
function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EADDRINUSE';
}
