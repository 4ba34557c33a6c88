import type { IncomingMessage } from 'node:http';
import { CHUNK_COST_BYTES, type BodyBudget } from './body-budget';
import { HttpError } from './errors';

/** A body over the route's limit: refused before it is read further. */
export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'payload_too_large', `the body is larger than ${limit} bytes`);
  }
}

/** Too many bytes of unauthenticated bodies are held at once (see body-budget.ts): this one was given up. */
export class BodiesBusyError extends HttpError {
  constructor() {
    super(503, 'busy', 'too many request bodies are being received at once; send it again');
  }
}

/**
 * The request's body as raw bytes, up to `limit`, each chunk counted in `budget` as it arrives (at
 * its length and what a chunk costs beyond it) and given back once the body is whole or abandoned. A declared Content-Length over the limit is
 * refused before anything is read; a chunked body is refused as soon as it passes the limit.
 * Rejects with `PayloadTooLargeError`, with `BodiesBusyError` when the budget gives this body up,
 * or with the stream's error when the client goes away.
 */
export function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = (error: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      chunks.length = 0;
      hold.release();
      reject(error);
    };
    const hold = budget.open(() => stop(new BodiesBusyError()));
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new PayloadTooLargeError(limit));
      else if (!hold.add(chunk.length + CHUNK_COST_BYTES)) stop(new BodiesBusyError());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      hold.release();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.once('error', stop);
    // A client that goes away before the end: its bytes stop counting.
    req.once('close', () => stop(new Error('the client closed the connection before the body was read')));
  });
}
