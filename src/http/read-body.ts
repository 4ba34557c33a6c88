import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

/** A body over the route's limit: refused before it is read further. */
export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'payload_too_large', `the body is larger than ${limit} bytes`);
  }
}

/**
 * The request's body as raw bytes, up to `limit`. A declared Content-Length over the limit is
 * refused before anything is read; a chunked body is refused as soon as it passes the limit.
 * Rejects with `PayloadTooLargeError`, or with the stream's error when the client goes away.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('the client closed the connection before the body was read')));
  });
}
