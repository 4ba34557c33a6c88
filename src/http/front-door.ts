import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * The server's request listener: a request to one of `fastPaths` (exact method and path, any query)
 * goes straight to its framework-free handler; everything else goes to the Express app, which
 * mounts the same handlers, so both ways answer alike. Why: Express's own per-request work costs
 * several times what the webhook intake does (bench/README.md), and Meta's POSTs are the one
 * path that takes load.
 */
export function frontDoor(
  app: Express,
  fastPaths: Array<{ method: string; path: string; handler: (req: IncomingMessage, res: ServerResponse) => void }>,
): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const fast = fastPaths.find((f) => f.method === req.method && f.path === path);
    if (fast) fast.handler(req, res);
    else app(req, res);
  };
}
