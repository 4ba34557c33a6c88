import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDrainingServer } from '../../src/http/draining-server';

/** A keep-alive client posting back to back, as Meta does, until the server stops answering. */
async function backToBack(port: number, agent: http.Agent, seen: Array<string | undefined>): Promise<void> {
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
        seen.push(res.headers.connection);
        res.resume();
        res.on('end', () => resolve(true));
      });
      req.on('error', () => resolve(false));
      req.end('{}');
    });
    if (!answered) return;
  }
}

describe('the draining server', () => {
  it('stops although keep-alive clients keep sending, telling each of them to close', async () => {
    const { server, drain } = createDrainingServer((_req, res) => setTimeout(() => res.end('ok'), 5));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const seen: Array<string | undefined> = [];
    const clients = Promise.all(Array.from({ length: 4 }, () => backToBack(port, agent, seen)));
    while (seen.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));

    const answeredBefore = seen.length;
    await drain(60_000);
    await clients;
    agent.destroy();

    expect(seen.slice(0, answeredBefore).every((c) => c === 'keep-alive')).toBe(true);
    // At most the four requests already in the handler when the drain began are answered keep-alive.
    const afterDrain = seen.slice(answeredBefore);
    expect(afterDrain.filter((c) => c === 'keep-alive').length).toBeLessThanOrEqual(4);
    expect(server.listening).toBe(false);
  });

  it('closes a connection whose request was in flight when the drain began, once it is answered', async () => {
    let answer: () => void = () => undefined;
    const { server, drain } = createDrainingServer((_req, res) => {
      answer = () => res.end('ok');
    });
    // Without the close, the drain would wait out this keep-alive timeout: far past the test's own.
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true });
    const response = new Promise<string | undefined>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers.connection));
      });
    });
    while (server.listening && (await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)))) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const drained = drain(120_000);
    answer();

    expect(await response).toBe('keep-alive');
    await drained;
    agent.destroy();
    expect(server.listening).toBe(false);
  });

  it('cuts a request that never finishes once the grace period is over', async () => {
    const { server, drain } = createDrainingServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const hung = new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/' }, () => resolve('answered'));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));

    await drain(100);

    expect(await hung).toBe('ECONNRESET');
  });
});
