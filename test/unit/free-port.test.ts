import net from 'node:net';
import { onFreePort } from '../../src/embedded/free-port';

/** Listens on `port`, as a service started on it would; rejects as Node does when it is taken. */
function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise((resolve) => server.close(resolve));

describe('onFreePort', () => {
  it('starts on another port when the first one it found was taken before the start could listen', async () => {
    const tried: number[] = [];
    let squatter: net.Server | undefined;
    const server = await onFreePort(async (port) => {
      tried.push(port);
      // The race the helper exists for: someone else listens in the gap between probe and start.
      if (!squatter) squatter = await listenOn(port);
      return listenOn(port);
    });
    try {
      expect(tried).toHaveLength(2);
      expect((server.address() as net.AddressInfo).port).toBe(tried[1]);
      expect(tried[1]).not.toBe(tried[0]);
    } finally {
      await close(server);
      if (squatter) await close(squatter);
    }
  });

  it('throws any other failure at once, without trying again', async () => {
    const start = jest.fn(() => Promise.reject(Object.assign(new Error('the settings do not load'), { code: 'EINVAL' })));

    await expect(onFreePort(start)).rejects.toThrow('the settings do not load');
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('gives up after the attempts it was given, with the last EADDRINUSE', async () => {
    const start = jest.fn((port: number) =>
      Promise.reject(Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE' })),
    );

    await expect(onFreePort(start, 3)).rejects.toThrow('EADDRINUSE');
    expect(start).toHaveBeenCalledTimes(3);
  });
});
