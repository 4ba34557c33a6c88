import http, { type RequestListener, type Server } from 'node:http';

/** How long a stop waits for requests in flight before it cuts the connections still open. */
export const DRAIN_GRACE_MS = 10_000;

export interface DrainingServer {
  server: Server;
  /**
   * Stops taking connections and lets the requests in flight finish: each answer from now on says
   * `Connection: close`, so a keep-alive client (Meta sends back to back) cannot hold the server
   * open with one request after another. Connections still open after `graceMs` are cut.
   */
  drain(graceMs?: number): Promise<void>;
}

export function createDrainingServer(listener: RequestListener): DrainingServer {
  let draining = false;
  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close');
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
