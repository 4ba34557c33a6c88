import http, { type RequestListener, type Server } from 'node:http';
import { answerClientError, REQUEST_DEADLINES, type RequestDeadlines } from './slow-clients';

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

export interface DrainingServerOptions {
  deadlines?: RequestDeadlines;
  /** A request was cut for taking longer than its deadline (see slow-clients.ts). */
  onSlowRequest?: () => void;
  /**
   * Connections open at once (MAX_CONNECTIONS). Node closes a connection past it as soon as it is
   * accepted, before reading a byte: the client sees the connection closed (or reset), not an answer.
   */
  maxConnections?: number;
  /** A connection was closed as it arrived, MAX_CONNECTIONS being open. */
  onConnectionDropped?: () => void;
}

export function createDrainingServer(listener: RequestListener, options: DrainingServerOptions = {}): DrainingServer {
  let draining = false;
  const deadlines = options.deadlines ?? REQUEST_DEADLINES;
  const serverOptions = {
    headersTimeout: deadlines.headersMs,
    requestTimeout: deadlines.requestMs,
    connectionsCheckingInterval: deadlines.checkEveryMs,
  };
  const server = http.createServer(serverOptions, (req, res) => {
    if (draining) res.setHeader('connection', 'close');
    // A request already in flight when the drain began was answered keep-alive: once it is done,
    // its connection is idle, and closing it now spares the 5 s of Node's keep-alive timeout.
    res.on('finish', () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    listener(req, res);
  });
  server.on('clientError', answerClientError(options.onSlowRequest ?? (() => undefined)));
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  const onDropped = options.onConnectionDropped;
  if (onDropped) server.on('drop', () => onDropped());
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
