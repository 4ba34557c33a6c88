import http, { type RequestListener, type Server } from 'node:http';

/** How long a stop waits for requests in flight before it cuts the connections still open. */
export const DRAIN_GRACE_MS = 10_000;

export interface DrainingServer {
  server: Server;
  /**
   * Stops taking connections and lets the requests in flight finish. A request that arrives from now
   * on is answered with `Connection: close`, and a connection closes as soon as its request in flight
   * is answered, so a keep-alive client (Meta sends back to back) cannot hold the server open with
   * one request after another. Connections still open after `graceMs` are cut.
   */
  drain(graceMs?: number): Promise<void>;
}

export function createDrainingServer(listener: RequestListener): DrainingServer {
  let draining = false;
  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close');
    // A request already in flight when the drain began was answered keep-alive: once it is done,
    // its connection is idle, and closing it now spares the 5 s of Node's keep-alive timeout.
    res.on('finish', () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    listener(req, res);
  });
  return {
    server,
    drain(graceMs = DRAIN_GRACE_MS) {
      draining = true;
      return new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        // Node's close() also closes the connections idle right now; busy ones close after their answer.
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
      });
    },
  };
}
