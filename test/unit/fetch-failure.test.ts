import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { whyFetchFailed } from '../../src/http/fetch-failure';

/** What a `fetch` of `url` threw; fails the test when it answered instead. */
async function fetchError(url: string, init?: RequestInit): Promise<unknown> {
  try {
    await fetch(url, init);
  } catch (error) {
    return error;
  }
  throw new Error(`expected fetch(${url}) to fail`);
}

async function listenOnLoopback(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('whyFetchFailed', () => {
  it('gives ECONNREFUSED for a real fetch to a loopback port nobody listens on', async () => {
    const server = http.createServer();
    const port = await listenOnLoopback(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(whyFetchFailed(await fetchError(`http://127.0.0.1:${port}/`))).toBe('ECONNREFUSED');
  });

  it('gives "no answer in time" for a fetch whose timeout fired before a silent server answered', async () => {
    const server = http.createServer(() => undefined);
    const port = await listenOnLoopback(server);
    try {
      const error = await fetchError(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(50) });
      expect(whyFetchFailed(error)).toBe('no answer in time');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  // fetch refuses ports of other protocols (25 is SMTP) before connecting: the reason is in the cause's message.
  it("gives the cause's message for a refusal without a code", async () => {
    expect(whyFetchFailed(await fetchError('http://127.0.0.1:25/'))).toBe('bad port');
  });

  it('gives the first code of an AggregateError-like cause, as when IPv4 and IPv6 were both tried', () => {
    const cause = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:3000'), { code: 'ECONNREFUSED' }), Object.assign(new Error('connect EHOSTUNREACH 127.0.0.1:3000'), { code: 'EHOSTUNREACH' })]);
    expect(whyFetchFailed(new TypeError('fetch failed', { cause }))).toBe('ECONNREFUSED');
  });

  it('gives a plain string thrown as it is', () => {
    expect(whyFetchFailed('socket hang up')).toBe('socket hang up');
  });

  it("gives the error's own message when it has no cause", () => {
    expect(whyFetchFailed(new Error('Invalid URL'))).toBe('Invalid URL');
  });
});
