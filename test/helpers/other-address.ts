import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';

/**
 * This machine's first address that is not loopback: a request sent to it from here comes from it
 * too, so the service sees a client that is not loopback, as it would see another machine.
 */
export function nonLoopbackAddress(): string {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  const found = addresses.find((a) => !a.internal && a.family === 'IPv4') ?? addresses.find((a) => !a.internal && a.family === 'IPv6' && !a.address.startsWith('fe80'));
  if (!found) throw new Error('this test needs a network interface besides loopback (none found in os.networkInterfaces())');
  return found.address;
}

/** Serves `listener` on `nonLoopbackAddress()`; resolves to its base URL and a way to close it. */
export async function serveOnOtherAddress(listener: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const address = nonLoopbackAddress();
  const server = http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
